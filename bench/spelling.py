"""Did-you-mean on typos: how often `spelling.closest_word` gives the word back, gives another
word (or another form of it), or gives nothing, by the word's length and the number of typos.

Words are drawn (fixed seed) from an index's spelling words that at least `--min-articles`
articles have (real words, not OCR noise); each gets one or two random edits (a letter dropped,
added, changed, or two neighbours swapped; never the first letter, as `closest_word` assumes),
and typos that the index knows (`spelling.is_known`, as the search asks) are skipped. Each edit-budget rule is run on the same
typos, in the same process:

    searchapp reindex --source ../shared/corpus/ro-news.jsonl.gz --index /tmp/ix40
    python bench/spelling.py --index /tmp/ix40 --words 2000   # about 13 minutes

`--real N` measures the search's own correction (`spelling.correction`, which also corrects a
word the index has when a far more frequent one is as close) on misspellings that occur in the
corpus instead: N rare spelling words (in at most 2 articles, 6 letters or more) drawn with the
same seed, kept when one edit (Damerau, same first letter) reaches a word in at least 200
articles, taken as the word meant. Nobody has read them all: the run prints a sample to judge.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from searchapp import romanian  # noqa: E402
from searchapp.engines.whoosh import spelling  # noqa: E402
from searchapp.engines.whoosh.archive import Archive  # noqa: E402

LETTERS = string.ascii_lowercase
RULES = {
    "2 edits at any length": lambda word: 2,
    "by length (1 up to 5 letters, 2 from 6)": spelling.max_edits,  # as shipped
}


def typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word))
    kind = rng.choice(["drop", "add", "change", "swap"] if i < len(word) - 1 else ["drop", "add", "change"])
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "add":
        return word[:i] + rng.choice(LETTERS) + word[i:]
    if kind == "change":
        return word[:i] + rng.choice([c for c in LETTERS if c != word[i]]) + word[i + 1:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def sample_words(searcher, count: int, min_articles: int, rng: random.Random) -> list[str]:
    """Spelling words (folded, unstemmed) whose stem at least `min_articles` articles have."""
    reader = searcher.reader()
    words = [w.decode("utf-8") for w in reader.lexicon("spell_body")]
    known = [w for w in words if w.isalpha() and len(w) >= 3
             and searcher.doc_frequency("body", romanian.stem(w)) >= min_articles]
    rng.shuffle(known)
    return known[:count]


def real_misspellings(searcher, count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(misspelling, word meant) pairs: rare words one edit from a frequent word."""
    from whoosh.support.levenshtein import damerau_levenshtein

    reader = searcher.reader()
    rare = [w.decode("utf-8") for w in reader.lexicon("spell_body")]
    rare = [w for w in rare if w.isalpha() and len(w) >= 6 and spelling.articles_with(searcher, w) <= 2]
    rng.shuffle(rare)
    pairs = []
    for word in rare[:count]:
        near = set()
        for subsearcher, _offset in searcher.leaf_searchers():
            near.update(subsearcher.reader().terms_within("spell_body", word, 2, prefix=1))
        meant = [(spelling.articles_with(searcher, n), n) for n in near - {word} if damerau_levenshtein(word, n) == 1]
        meant = [(articles, n) for articles, n in meant if articles >= 200]
        if meant:
            pairs.append((word, max(meant)[1]))
    return pairs


def measure_real(searcher, count: int, rng: random.Random) -> None:
    pairs = real_misspellings(searcher, count, rng)
    counts: Counter = Counter()
    sample = []
    for typed, meant in pairs:
        found = spelling.correction(searcher, typed)
        outcome = ("right" if found == meant else "none" if found is None
                   else "same stem" if romanian.stem(found) == romanian.stem(meant) else "wrong")
        counts[outcome] += 1
        if len(sample) < 40:
            sample.append(f"{typed} -> {found or '-'} (meant: {meant}, {outcome})")
    n = len(pairs) or 1
    print(f"{len(pairs)} misspellings found among {count} rare words\n")
    print("| misspellings | corrected to the word meant | another form of it | another word | not corrected |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    print(f"| {len(pairs)} | " + " | ".join(f"{counts[o] / n:.1%}" for o in ("right", "same stem", "wrong", "none")) + " |")
    print("\nSample:\n" + "\n".join(sample))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--words", type=int, default=2000)
    parser.add_argument("--min-articles", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--real", type=int, default=0, help="rare words to look for real misspellings among")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    archive = Archive(args.index)
    with archive.searcher() as searcher:
        if args.real:
            measure_real(searcher, args.real, rng)
            return 0
        reader = searcher.reader()
        words = sample_words(searcher, args.words, args.min_articles, rng)
        cases = []
        for word in words:
            for typos in (1, 2):
                typed = word
                for _ in range(typos):
                    typed = typo(typed, rng)
                if typed != word and not spelling.is_known(reader, typed):
                    cases.append((word, typed, typos))
        print(f"{len(cases)} typos of {len(words)} words (index {args.index})\n")
        print("| rule | typos | length | typos tried | word given back | another form of it (same stem) | another word | nothing |")
        print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
        for name, rule in RULES.items():
            counts: Counter = Counter()
            for word, typed, typos in cases:
                band = "3-5" if len(word) <= 5 else "6+"
                found = spelling.closest_word(searcher, typed, edits=rule)
                outcome = ("right" if found == word else "none" if found is None
                           else "same stem" if romanian.stem(found) == romanian.stem(word) else "wrong")
                counts[typos, band, outcome] += 1
                counts[typos, band, "all"] += 1
            for typos in (1, 2):
                for band in ("3-5", "6+"):
                    n = counts[typos, band, "all"] or 1
                    print(f"| {name} | {typos} | {band} | {counts[typos, band, 'all']} | "
                          + " | ".join(f"{counts[typos, band, o] / n:.1%}" for o in ("right", "same stem", "wrong", "none")) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
