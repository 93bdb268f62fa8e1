"""Lucene's Snowball Romanian (the Solr configset's stemmer) against PyStemmer's (the Whoosh
engine's), on the Snowball reference vocabulary, each word folded as the analysis chains fold it.

Four comparisons, each over the distinct words of the vocabulary:

* `folded (unidecode)`: each word lower-cased, ş/ţ made ș/ț and folded with the Whoosh chain's
  own functions (`analysis.normalize`, `analysis.fold`), then stemmed by both stemmers: the
  stemmers alone on the same input.
* `folded, each chain's own folding`: Lucene's ASCIIFoldingFilter then Lucene's stemmer (the
  configset's folded field) against the Whoosh chain (unidecode, then PyStemmer): the terms the
  two engines index for the same word.
* `unfolded`: the words with their diacritics, comma-below ș/ț, and again with ș/ț given to
  Lucene as the cedilla ş/ţ that its Snowball release knows (neither engine's `exact` field
  stems any more: it holds written forms, readings.py; kept to show where the releases differ).
* `unfolded, Lucene vs the reference output`: Lucene's stem against Snowball's published
  `output.txt` for the same words (PyStemmer is that release's C code).

    python bench/solr_stemmer.py [--vocabulary ../shared/corpus/snowball-romanian] [--examples 12]

Needs Java and Maven (it builds solr/ through scripts/solrcloud build; no cluster). With
`--articles N` it also sends the first N corpus articles through a SolrCloud's analysis
(`/analysis/field` of a scratch collection on the package's configset, at SEARCHAPP_SOLR_URL)
and compares the terms, in order, with the Whoosh chain's, for the folded and exact fields:

    export "$(scripts/solrcloud start)"; python bench/solr_stemmer.py --articles 500
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from searchapp import romanian  # noqa: E402
from searchapp.engines.whoosh import analysis  # noqa: E402
from searchapp.sources import ReadReport, read_articles  # noqa: E402

TO_CEDILLA = str.maketrans("șț", "şţ")
VOCABULARY = ROOT.parent / "shared" / "corpus" / "snowball-romanian"
CORPUS = ROOT.parent / "shared" / "corpus" / "ro-news.jsonl.gz"


def lucene(words: list[str], fold: bool = False) -> list[tuple[str, str]]:
    """(word as Lucene's chain gives it to the stemmer, Lucene's stem), in order."""
    classpath = subprocess.run([str(ROOT / "scripts" / "solrcloud"), "build"], check=True,
                               capture_output=True, text=True).stdout.strip()
    done = subprocess.run(["java", "-cp", classpath, "org.searchapp.solr.StemWords", *(["fold"] if fold else [])],
                          input="".join(f"{w}\n" for w in words), capture_output=True, text=True,
                          encoding="utf-8", check=True)
    lines = done.stdout.split("\n")[:len(words)]
    return [tuple(line.split("\t")) if fold else (word, line) for word, line in zip(words, lines)]


def compare(name: str, rows: list[tuple[str, str, str, str]], examples: int) -> dict:
    """rows: (original word, input, Lucene's stem, the other stem)."""
    differ = [row for row in rows if row[2] != row[3]]
    print(f"\n{name}: {len(differ):,} of {len(rows):,} words differ ({len(differ) / len(rows):.2%})")
    endings = Counter(_ending(row) for row in differ)
    for ending, count in endings.most_common(6):
        print(f"  {count:>6,}  {ending}")
    for word, given, ours, theirs in differ[:: max(1, len(differ) // examples)][:examples]:
        print(f"  {word!r:24} -> {given!r:22} Lucene {ours!r:16} other {theirs!r}")
    return {"name": name, "words": len(rows), "differ": len(differ)}


def _ending(row: tuple[str, str, str, str]) -> str:
    """Where two stems part: the longer stem's letters after the common prefix, both ways."""
    _, _, ours, theirs = row
    common = 0
    while common < min(len(ours), len(theirs)) and ours[common] == theirs[common]:
        common += 1
    return f"Lucene -{ours[common:] or '∅'} / other -{theirs[common:] or '∅'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vocabulary", type=Path, default=VOCABULARY)
    parser.add_argument("--examples", type=int, default=12)
    parser.add_argument("--articles", type=int, default=0, help="corpus articles through Solr's analysis")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    if args.articles:
        compare_chains(args.corpus, args.articles, args.examples)
        return
    vocabulary = (args.vocabulary / "voc.txt").read_text(encoding="utf-8").split()
    reference = dict(zip(vocabulary, (args.vocabulary / "output.txt").read_text(encoding="utf-8").split()))
    words = sorted(set(vocabulary))
    print(f"{len(words):,} distinct words in {args.vocabulary / 'voc.txt'}; "
          f"{sum(romanian.writes_diacritics(w) for w in words):,} with diacritics")

    folded = [romanian.fold(romanian.normalize(w)) for w in words]
    rows = [(w, f, ours, romanian.stem(f)) for w, (f, ours) in zip(words, lucene(folded))]
    compare("folded (unidecode), Lucene vs PyStemmer", rows, args.examples)

    lucene_chain = lucene([romanian.normalize(w) for w in words], fold=True)
    rows = [(w, f"{lf}|{wf}", ours, romanian.stem(wf))
            for w, wf, (lf, ours) in zip(words, folded, lucene_chain)]
    compare("folded, each chain's own folding (ASCIIFolding+Lucene vs unidecode+PyStemmer)", rows, args.examples)
    folding = sum(row[1].split("|")[0] != row[1].split("|")[1] for row in rows)
    print(f"  (the two foldings differ on {folding:,} words)")

    unfolded = [romanian.normalize(w) for w in words]
    lucene_unfolded = lucene(unfolded)
    rows = [(w, u, ours, romanian.stem(u)) for w, (u, ours) in zip(words, lucene_unfolded)]
    compare("unfolded (ș/ț), Lucene vs PyStemmer", rows, args.examples)
    cedilla = [u.translate(TO_CEDILLA) for u in unfolded]
    rows = [(w, c, ours.translate(romanian.CEDILLA_TO_COMMA), romanian.stem(u))
            for w, u, (c, ours) in zip(words, unfolded, lucene(cedilla))]
    compare("unfolded, ș/ț given to Lucene as ş/ţ (the exact field), Lucene vs PyStemmer", rows, args.examples)
    rows = [(w, u, ours, reference[w]) for w, (u, ours) in zip(words, lucene_unfolded) if u == w]
    compare("unfolded, Lucene vs Snowball's output.txt", rows, args.examples)


def compare_chains(corpus: Path, count: int, examples: int) -> None:
    """The terms of `count` articles (title and text, as sources.py cleans them) from Solr's
    `body` and `exact` analysis against `analysis.match_terms` and the exact analyzer."""
    import io
    import json
    import os
    import urllib.parse
    import urllib.request
    import uuid
    import zipfile
    from itertools import islice

    from searchapp.engines.solr import configset

    base = os.environ["SEARCHAPP_SOLR_URL"].split(",")[0].rstrip("/")

    def call(path: str, body: bytes | None = None, content_type: str = "", **params) -> dict:
        request = urllib.request.Request(f"{base}{path}?{urllib.parse.urlencode({'wt': 'json', **params})}",
                                         data=body, headers={"Content-Type": content_type} if body else {})
        with urllib.request.urlopen(request, timeout=300) as response:
            return json.load(response)

    name = f"bench_analysis_{uuid.uuid4().hex[:8]}"
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        for path, content in configset.configset_files().items():
            archive.writestr(path, content)
    call("/admin/configs", zipped.getvalue(), "application/octet-stream", action="UPLOAD", name=name)
    call("/admin/collections", action="CREATE", name=name, numShards=1, replicationFactor=1,
         **{"collection.configName": name, "waitForFinalState": "true"})
    try:
        results = {"body": [0, 0, 0, []], "exact": [0, 0, 0, []]}  # articles same, terms, terms differing, examples
        exact = analysis.exact_analyzer()
        for article in islice(read_articles([corpus], ReadReport()), count):
            text = f"{article.title}\n{article.text}"
            form = urllib.parse.urlencode({"analysis.fieldname": "body,exact", "analysis.fieldvalue": text}).encode()
            fields = call(f"/{name}/analysis/field", form, "application/x-www-form-urlencoded")["analysis"]["field_names"]
            ours = {"body": [t["text"] for t in fields["body"]["index"][-1]],
                    "exact": [t["text"] for t in fields["exact"]["index"][-1]]}
            theirs = {"body": analysis.match_terms(text),
                      "exact": [t.text.split(romanian.FORM_SEPARATOR, 1)[1].lower() for t in exact(text)]}
            for field, result in results.items():
                result[0] += ours[field] == theirs[field]
                result[1] += len(theirs[field])
                differ = (Counter(ours[field]) - Counter(theirs[field])) + (Counter(theirs[field]) - Counter(ours[field]))
                result[2] += sum(differ.values())
                if ours[field] != theirs[field] and len(result[3]) < examples:
                    result[3].append((article.id, sorted(Counter(ours[field]) - Counter(theirs[field])),
                                      sorted(Counter(theirs[field]) - Counter(ours[field]))))
        for field, (same, terms, differing, shown) in results.items():
            print(f"\n{field}: {same:,} of {count:,} articles give the Whoosh chain's terms exactly; "
                  f"{differing:,} of {terms:,} terms differ")
            for article_id, solr_only, whoosh_only in shown:
                print(f"  {article_id}: Solr only {solr_only[:6]}, Whoosh only {whoosh_only[:6]}")
    finally:
        call("/admin/collections", action="DELETE", name=name)
        call("/admin/configs", action="DELETE", name=name)


if __name__ == "__main__":
    main()
