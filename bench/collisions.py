"""Diacritic collisions: does a reader get the word they typed, where folding merges two words?

The queries come from the index's own statistics (readings.py): folded words of which two or
more written readings are each common (`putin`: *puțin* and *Putin*; `fata`: *față*, *fața*,
*fată*). Two kinds, as people type them:

* **typed with diacritics**: each such reading with diacritics, as the articles most often write
  it (`fată`, `puțin`); P@10 = the share of the top 10 that contain that form as a word
  (lower case, ș/ş alike);
* **names typed without diacritics** that collide with a common word: each reading without
  diacritics whose usual form is capitalised (`Putin`); P@10 = the share of the top 10 that
  contain the name as written, capitalised; by relevance and by `sort=newest`.

    searchapp reindex --source ../shared/corpus/ro-news.jsonl.gz --index /tmp/ix40
    python bench/collisions.py --index /tmp/ix40 [--queries /tmp/collisions.json]

`--queries` writes the query set (or reads it, when the file exists), so that another version of
searchapp can be measured on the same queries (`--save-only` with this version, then the other
version's checkout with `PYTHONPATH`).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from searchapp.engines.whoosh.archive import Archive  # noqa: E402
from searchapp.params import parse_params  # noqa: E402

CEDILLA = str.maketrans({"ş": "ș", "ţ": "ț", "Ş": "Ș", "Ţ": "Ț"})


def collision_queries(archive: Archive, limit: int) -> dict[str, list[dict]]:
    """The two query sets, from the `exact` field's readings (needs this version's index)."""
    from searchapp import romanian
    from searchapp.engines.whoosh import readings

    with archive.searcher() as searcher:
        reader = searcher.reader()
        spellings: dict[str, set[str]] = {}
        for term in reader.lexicon("exact"):
            key, _, form = term.decode("utf-8").partition(romanian.FORM_SEPARATOR)
            spellings.setdefault(key, set()).add(form.lower())
        diacritics, names = [], []
        for key, lowers in spellings.items():
            if len(lowers) < 2 or len(key) < 3:
                continue
            found = readings.readings(reader, key)
            distinct = [r for r in found if readings.is_distinct(r, found)]
            if len(distinct) < 2:
                continue
            total = sum(r.docs for r in found)
            for r in distinct:
                row = {"q": r.form, "key": key, "docs": r.docs, "share": round(r.docs / total, 3),
                       "others": [o.form for o in distinct if o is not r]}
                if not r.text.isascii():
                    diacritics.append({**row, "q": r.text})
                elif r.form[:1].isupper() and not r.form.isupper():
                    names.append(row)
    by_size = lambda rows: sorted(rows, key=lambda row: -row["docs"])[:limit]  # noqa: E731
    return {"diacritics": by_size(diacritics), "names": by_size(names)}


def contains(text: str, form: str, case: bool) -> bool:
    text, form = text.translate(CEDILLA), form.translate(CEDILLA)
    return re.search(rf"(?<!\w){re.escape(form)}(?!\w)", text, 0 if case else re.IGNORECASE) is not None


def precision(archive: Archive, q: str, sort: str, case: bool) -> float | None:
    result = archive.search(parse_params({"q": q, "sort": sort, "per_page": "10", "literal": "1"}))
    if not result.hits:
        return None
    found = 0
    for hit in result.hits:
        article = archive.article(hit.id, similar=False)
        found += contains(f"{article.title}\n{article.text}", q, case)
    return found / len(result.hits)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=40, help="queries of each kind, most written first")
    parser.add_argument("--queries", type=Path, help="JSON file of the query set: written if absent, read if present")
    parser.add_argument("--save-only", action="store_true", help="write the query set and stop")
    parser.add_argument("--also", default="fată,pește,puțin,Putin",
                        help="queries measured besides the set (the issue's examples), comma-separated")
    args = parser.parse_args(argv)
    archive = Archive(args.index)
    if args.queries and args.queries.exists():
        queries = json.loads(args.queries.read_text(encoding="utf-8"))
    else:
        queries = collision_queries(archive, args.limit)
        if args.queries:
            args.queries.write_text(json.dumps(queries, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.save_only:
        return 0
    runs = [("diacritics", "relevance", False), ("diacritics", "newest", False),
            ("names", "relevance", True), ("names", "newest", True)]
    for q in filter(None, args.also.split(",")):
        name = q[:1].isupper() and q.isascii()
        got = [precision(archive, q, sort, case=name) for sort in ("relevance", "newest")]
        print(f"{q}: P@10 relevance {got[0]}, newest {got[1]}")
    table: dict[str, dict[str, float | None]] = {}
    for kind, sort, case in runs:
        for row in queries[kind]:
            table.setdefault(f"{kind}:{row['q']}", {})[sort] = precision(archive, row["q"], sort, case)
    for kind in ("diacritics", "names"):
        print(f"\n### {kind}\n\n| query | articles writing it | share of the folded word | other readings "
              f"| P@10 relevance | P@10 newest |\n|---|---|---|---|---|---|")
        for row in queries[kind]:
            got = table[f"{kind}:{row['q']}"]
            cells = [f"{got[s]:.1f}" if got.get(s) is not None else "-" for s in ("relevance", "newest")]
            print(f"| {row['q']} | {row['docs']} | {row['share']} | {', '.join(row['others'][:3])} | {' | '.join(cells)} |")
        for sort in ("relevance", "newest"):
            values = [table[f"{kind}:{row['q']}"].get(sort) for row in queries[kind]]
            values = [v for v in values if v is not None]
            if values:
                print(f"\nmean P@10 {kind}, {sort}: {sum(values) / len(values):.3f} over {len(values)} queries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
