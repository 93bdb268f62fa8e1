"""What cleaning does to the news corpus (QUALITY.md, "Clean sources"): mojibake repaired and
"Citește și" related-article links stripped, counted over every article, with samples.

    .venv/bin/python -m bench.clean_sources [--corpus ../shared/corpus/ro-news.jsonl.gz] [--samples 12]

Each article's text is taken as the reader gets it before these two steps (entities decoded,
as `sources.clean_text` does first) and after them.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
from pathlib import Path

from searchapp.cleaning import _GARBLE, _MARKER, decode_entities, repair_mojibake, strip_related_links

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "ro-news.jsonl.gz"
MARKER = re.compile(_MARKER, re.IGNORECASE)


def window(before: str, after: str, chars: int = 70) -> tuple[str, str]:
    """The first stretch where the two texts differ."""
    start = next((i for i, (a, b) in enumerate(zip(before, after)) if a != b), min(len(before), len(after)))
    start = max(0, start - 20)
    return before[start:start + chars], after[start:start + chars]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default=str(CORPUS))
    parser.add_argument("--samples", type=int, default=12)
    args = parser.parse_args()
    counts = {"articles": 0, "mojibake_changed": 0, "garbled_before": 0, "garbled_after": 0,
              "links_changed": 0, "markers_before": 0, "markers_after": 0}
    mojibake, links = [], []
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
            stripped = "\n".join(strip_related_links(paragraphs))
            before, after = len(MARKER.findall(repaired)), len(MARKER.findall(stripped))
            counts["markers_before"] += before
            counts["markers_after"] += after
            if stripped != "\n".join(paragraphs):
                counts["links_changed"] += 1
                links.append((record["id"], *window("\n".join(paragraphs), stripped, 110)))
    rng = random.Random(18)
    print(json.dumps(counts, indent=1))
    for title, rows in (("mojibake", mojibake), ("related links", links)):
        print(f"\n{title}: before -> after")
        for article_id, before, after in sorted(rng.sample(rows, min(args.samples, len(rows)))):
            print(f"{article_id}\n  {before!r}\n  {after!r}")


if __name__ == "__main__":
    main()
