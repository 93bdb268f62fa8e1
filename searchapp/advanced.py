"""The advanced search form (`/cautare-avansata`): its boxes composed into an ordinary query.

A GET form cannot compose `q` itself, so the form comes back to its own address and the web
layer redirects to the results URL this module builds: `toate=a b`, `fraza=c d`, `oricare=e f`,
`niciunul=g`, `apropiate=h i` within 5 become `q=a b "c d" (e OR f) -g "h i"~5`, so the search
box of the results shows what the form meant, in the query language anyone can type.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .params import SORTS

FIELDS = ("toate", "fraza", "oricare", "niciunul", "apropiate", "distanta", "in", "from", "to", "source", "sort")
DEFAULT_DISTANCE = 5
MAX_DISTANCE = 50
_OPERATORS = frozenset({"AND", "OR", "NOT"})
_SYNTAX = re.compile(r'["()~^]|(?<!\S)[-–]+')


@dataclass
class AdvancedForm:
    values: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def submitted(self) -> bool:
        return any(self.values.get(name) for name in FIELDS if name not in ("distanta", "sort"))

    def value(self, name: str) -> str:
        return self.values.get(name, "")


def read_form(args: Mapping[str, str]) -> AdvancedForm:
    values = {name: re.sub(r"[\x00-\x1f\x7f]", " ", str(args.get(name) or "")).strip() for name in FIELDS}
    return AdvancedForm(values=values)


def words(text: str) -> list[str]:
    """The words of a box, the query language's own signs taken out (each box says what they
    would: a phrase, either word, without), and AND/OR/NOT written as words, not operators."""
    return [w.lower() if w in _OPERATORS else w for w in _SYNTAX.sub(" ", text).split()]


def compose(form: AdvancedForm) -> dict[str, str]:
    """The results URL's parameters for a submitted form; adds to `form.errors` what is wrong."""
    parts = list(words(form.value("toate")))
    phrase = words(form.value("fraza"))
    if phrase:
        parts.append('"' + " ".join(phrase) + '"')
    either = words(form.value("oricare"))
    if either:
        parts.append(either[0] if len(either) == 1 else "(" + " OR ".join(either) + ")")
    near = words(form.value("apropiate"))
    if len(near) > 1:
        parts.append('"' + " ".join(near) + f'"~{_distance(form)}')
    else:
        parts.extend(near)
    without = words(form.value("niciunul"))
    if without and not parts:
        form.errors.append("Cuvintele excluse au nevoie de cel puțin un cuvânt căutat: "
                           "completați și unul dintre câmpurile de deasupra.")
    parts.extend("-" + word for word in without)
    sort = form.value("sort")
    if sort and sort not in SORTS:
        form.errors.append("Ordonarea poate fi doar după relevanță, cele mai noi sau cele mai vechi.")
    args = {
        "q": " ".join(parts),
        "in": "title" if form.value("in") else "",
        "from": form.value("from"),
        "to": form.value("to"),
        "source": form.value("source"),
        "sort": sort if sort != "relevance" else "",
    }
    return {name: value for name, value in args.items() if value}


def _distance(form: AdvancedForm) -> int:
    raw = form.value("distanta")
    if not raw:
        return DEFAULT_DISTANCE
    if not re.fullmatch(r"[0-9]{1,3}", raw) or not 1 <= int(raw) <= MAX_DISTANCE:
        form.errors.append(f"Distanța dintre cuvinte trebuie să fie un număr de la 1 la {MAX_DISTANCE}.")
        return DEFAULT_DISTANCE
    return int(raw)
