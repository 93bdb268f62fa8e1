"""Which written form of a word the reader means, from the index's own statistics.

Folding makes `Putin` and `puțin`, `fată` and `față`, `tari` and `țări` one term, so that a
word matches with or without diacritics (the contract). Ranking should still follow the reader:

* a word typed with diacritics prefers the articles that write it so (`fată` above `față`);
* a word typed without them prefers the articles that write it without them, when the corpus
  shows that this spelling is a word of its own (`Putin` beside *puțin*), and is neutral when
  it is only diacritics left out (`soldati`: the articles write *soldați*).

The `exact` field (analysis.exact_analyzer) files every written form under its folded key
(`putin|Putin`, `putin|puțin`), from articles written with diacritics only, so the forms of a
folded word and their document frequencies are one sorted range of its term list. A *reading*
is a form in lower case: `Putin` and `PUTIN` are one reading, `puțin` another.
"""

from __future__ import annotations

from dataclasses import dataclass

from ... import romanian
from ...config import setting
from ...results import OtherReading
from .store import term_text

EXACT_FIELD = "exact"


@dataclass(frozen=True)
class Reading:
    text: str  # lower case: the reading
    form: str  # the reading as the articles most often write it (`Putin`, `Timișoara`)
    docs: int  # articles that write it (summed over its case variants)
    forms: tuple[str, ...]  # every written form of it in the index


def readings(reader, key: str) -> list[Reading]:
    """The readings of a folded word (`putin`), most written first."""
    prefix = key + romanian.FORM_SEPARATOR
    by_reading: dict[str, list[tuple[int, str]]] = {}
    for term in reader.expand_prefix(EXACT_FIELD, prefix):
        text = term_text(term, EXACT_FIELD)
        form = text[len(prefix):]
        by_reading.setdefault(form.lower(), []).append((reader.doc_frequency(EXACT_FIELD, text), form))
    found = [
        Reading(text=lower, form=max(forms)[1], docs=sum(df for df, _ in forms), forms=tuple(f for _, f in forms))
        for lower, forms in by_reading.items()
    ]
    return sorted(found, key=lambda r: (-r.docs, r.text))


def is_distinct(reading: Reading, all_readings: list[Reading]) -> bool:
    """A reading common enough to be a word of its own, not a slip of the keyboard: at least
    `reading_min_docs` articles and `reading_min_share` of the folded word's."""
    total = sum(r.docs for r in all_readings)
    return reading.docs >= setting("reading_min_docs") and reading.docs >= setting("reading_min_share") * total


def preferred(reader, typed: str) -> tuple[tuple[str, ...], OtherReading | None]:
    """The written forms whose articles rank first for a word typed as `typed`, and the other
    reading to offer.

    * Typed with diacritics: its own forms, always (the contract).
    * Typed without, capitalised (`Putin`): its own forms, where they are a word of their own
      beside another reading. The capital is the reader's sign of a name: typed in lower case
      (`roman`, `luna`), a word without diacritics is most often the reader's shortcut for the
      word with them (*român*, *lună*), and ranking its spelling first cost 0.047 MRR@10 on
      the news test typed without diacritics (QUALITY.md). Then the name is only offered."""
    found = readings(reader, romanian.form_key(typed))
    lower = romanian.normalize(typed)
    own = next((r for r in found if r.text == lower), None)
    if own is None:
        return (), None
    others = [r for r in found if r is not own and is_distinct(r, found)]
    if lower.isascii() and not (others and is_distinct(own, found)):
        return (), None
    if lower.isascii() and not typed[:1].isupper():
        name = own.form if own.form[:1].isupper() else None
        return (), OtherReading(word=typed, other=name) if name else None
    other = OtherReading(word=typed, other=others[0].form) if others else None
    forms = own.forms
    if own.form[:1].isupper():
        # A name (`Putin`): the articles that write it in lower case mean the other word.
        forms = tuple(form for form in forms if not form.islower()) or forms
    return forms, other
