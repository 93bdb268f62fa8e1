"""What cleaning does to the news corpus (QUALITY.md, "Clean sources"): mojibake repaired,
"Citește și" related-article links stripped and paragraphs printed twice kept once, counted over
every article, with samples.

    .venv/bin/python -m bench.clean_sources [--corpus ../shared/corpus/ro-news.jsonl.gz] [--samples 12]
    .venv/bin/python -m bench.clean_sources --shared-lines 20   # boilerplate left after cleaning

Each article's text is taken as the reader gets it before these two steps (entities decoded,
as `sources.clean_text` does first) and after them; the repeated paragraphs are counted after
the link stripping, as `strip_furniture` runs them.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
from collections import Counter
from pathlib import Path

from searchapp.cleaning import (
    _GARBLE,
    _MARKER,
    clean_text,
    decode_entities,
    repair_mojibake,
    strip_furniture,
    strip_related_links,
    without_repeated_paragraphs,
)

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "ro-news.jsonl.gz"
MARKER = re.compile(_MARKER, re.IGNORECASE)


def window(before: str, after: str, chars: int = 70) -> tuple[str, str]:
    """The first stretch where the two texts differ."""
    start = next((i for i, (a, b) in enumerate(zip(before, after)) if a != b), min(len(before), len(after)))
    start = max(0, start - 20)
    return before[start:start + chars], after[start:start + chars]


def shared_lines(corpus: str, least: int, shown: int) -> None:
    """Lines of 20+ characters that `least` or more articles share after the cleaning the
    sources run (clean_text, strip_furniture): what is left of sites' boilerplate."""
    articles: Counter[str] = Counter()
    with gzip.open(corpus, "rt", encoding="utf-8") as lines:
        for line in lines:
            text, _ = strip_furniture(clean_text(json.loads(line)["text"]))
            articles.update({part.strip() for part in text.split("\n") if len(part.strip()) >= 20})
    shared = [(text, n) for text, n in articles.most_common() if n >= least]
    print(json.dumps({"distinct_lines": len(shared), "occurrences": sum(n for _, n in shared)}))
    for text, n in shared[:shown]:
        print(f"{n:6d}  {text[:110]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default=str(CORPUS))
    parser.add_argument("--samples", type=int, default=12)
    parser.add_argument("--shared-lines", type=int, metavar="N",
                        help="instead: count the lines that N or more articles share after cleaning")
    args = parser.parse_args()
    if args.shared_lines:
        shared_lines(args.corpus, args.shared_lines, args.samples)
        return
    counts = {"articles": 0, "mojibake_changed": 0, "garbled_before": 0, "garbled_after": 0,
              "links_changed": 0, "markers_before": 0, "markers_after": 0, "repeats_changed": 0,
              "repeated_chars_removed": 0}
    mojibake, links, repeats = [], [], []
    with gzip.open(args.corpus, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            text = decode_entities(record["text"])
            counts["articles"] += 1
            repaired = repair_mojibake(text)
            counts["garbled_before"] += bool(_GARBLE.search(text))
            counts["garbled_after"] += bool(_GARBLE.search(repaired))
            if repaired != text:
                counts["mojibake_changed"] += 1
                mojibake.append((record["id"], *window(text, repaired)))
            paragraphs = [p.strip() for p in repaired.split("\n")]
            kept = strip_related_links(paragraphs)
            stripped = "\n".join(kept)
            once = "\n".join(without_repeated_paragraphs(kept))
            if once != stripped:
                counts["repeats_changed"] += 1
                counts["repeated_chars_removed"] += len(stripped) - len(once)
                repeats.append((record["id"], *window(stripped, once, 110)))
            before, after = len(MARKER.findall(repaired)), len(MARKER.findall(stripped))
            counts["markers_before"] += before
            counts["markers_after"] += after
            if stripped != "\n".join(paragraphs):
                counts["links_changed"] += 1
                links.append((record["id"], *window("\n".join(paragraphs), stripped, 110)))
    rng = random.Random(18)
    print(json.dumps(counts, indent=1))
    for title, rows in (("mojibake", mojibake), ("related links", links), ("paragraphs printed twice", repeats)):
        print(f"\n{title}: before -> after")
        for article_id, before, after in sorted(rng.sample(rows, min(args.samples, len(rows)))):
            print(f"{article_id}\n  {before!r}\n  {after!r}")


if __name__ == "__main__":
    main()
