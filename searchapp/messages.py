"""Words for people, in Romanian: counts, numbers, times, dates, notices and error messages.

The core returns data, notice codes and error codes; the web pages, the terminal and the JSON
API's `notices` all say them with these functions, so that `633 de rezultate` reads the same
everywhere. The JSON API keeps the errors' own (English) messages: those are for programs and
are part of the contract.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config import setting
from .errors import BadParameter, SearchappError

if TYPE_CHECKING:
    from .results import Notice, SearchResult


def format_int(number: int) -> str:
    """Romanian digit grouping: 40.514."""
    return f"{number:,}".replace(",", ".")


def takes_de(number: int) -> bool:
    """Romanian puts "de" between a number and its noun from 20 on, when the number's last two
    digits are 00 or 20-99: `20 de articole`, `101 articole`, `120 de articole`."""
    return number >= 20 and (number % 100 == 0 or number % 100 >= 20)


def count_of(number: int, one: str, many: str) -> str:
    """`1 articol`, `12 articole`, `40.514 articole`, `633 de articole`."""
    if number == 1:
        return f"1 {one}"
    return f"{format_int(number)}{' de' if takes_de(number) else ''} {many}"


def count_phrase(total: int) -> str:
    """`niciun rezultat`, `1 rezultat`, `12 rezultate`, `20 de rezultate`."""
    return "niciun rezultat" if total == 0 else count_of(total, "rezultat", "rezultate")


def format_seconds(took_ms: float) -> str:
    """`0,01 s`: seconds with a decimal comma."""
    return f"{took_ms / 1000:.2f}".replace(".", ",") + " s"


def format_decimal(number: float, places: int = 1) -> str:
    return f"{number:.{places}f}".replace(".", ",")


# --- dates -----------------------------------------------------------------------------------

MONTHS = ("ianuarie", "februarie", "martie", "aprilie", "mai", "iunie", "iulie", "august",
          "septembrie", "octombrie", "noiembrie", "decembrie")


def format_date(iso: str | None) -> str:
    """`9 ianuarie 2026` from `2026-01-09`; `fără dată` for undated articles."""
    if not iso:
        return "fără dată"
    year, month, day = iso.split("-")
    return f"{int(day)} {MONTHS[int(month) - 1]} {year}"


def format_month(value: str, with_year: bool = True) -> str:
    year, month = value.split("-")
    name = MONTHS[int(month) - 1]
    return f"{name} {year}" if with_year else name


def format_short_date(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{day}.{month}.{year}"


# --- notices: how the query was searched -----------------------------------------------------

_NOTICES = {
    "deep_parentheses": "parantezele prea adânci au fost ignorate",
    "words_cut": "s-au căutat doar primele {} cuvinte",
    "only_stop_words": ("„{}” are doar cuvinte foarte des întâlnite, care nu se caută: "
                        "adăugați un cuvânt mai rar (un nume, un loc, un subiect)"),
    "partial": "căutarea a depășit timpul permis; rezultatele sunt parțiale",
}


def notice_text(notice: Notice) -> str:
    """A notice as a phrase (the terminal's line, the JSON API's `notices`)."""
    return _NOTICES[notice.code].format(*notice.values)


RELAXED_SENTENCE = ("Niciun articol nu conține toate cuvintele căutate; "
                    "sunt afișate articolele care conțin cele mai multe dintre ele.")
RELAXED_SHORT = "niciun articol nu conține toate cuvintele; ordonate după câte conțin"


def notice_sentences(result: SearchResult) -> list[str]:
    """Everything a results page says about how the query was searched, as sentences."""
    sentences = []
    if result.relaxed:
        sentences.append(RELAXED_SENTENCE)
    if result.partial:
        sentences.append("Căutarea a durat prea mult și a fost oprită: rezultatele pot fi incomplete.")
    for expansion in result.expanded:
        others = ", ".join(f"„{form}”" for form in expansion.added)
        sentences.append(f"Am căutat și {others} pentru „{expansion.typed}”; "
                         f"articolele cu „{expansion.typed}” apar primele.")
    for notice in result.notices:
        if notice.code == "partial":
            continue  # said above, in a full sentence
        text = notice_text(notice)
        sentences.append(text[:1].upper() + text[1:] + ".")
    return sentences


# --- errors on the HTML pages -----------------------------------------------------------------

# What each search parameter must be, said to a reader (the API's messages say it to a program);
# the limits are the active settings'.
PARAMETER_RULES = {
    "q": "Căutarea este prea lungă: folosiți cel mult {max_query_chars} de caractere.",
    "page": "Numărul paginii trebuie să fie un număr întreg de la 1 la {max_page}.",
    "per_page": "Numărul de rezultate pe pagină trebuie să fie un număr întreg de la 1 la {max_per_page}.",
    "year": "Anul se scrie cu patru cifre (de exemplu 2025) sau „none” pentru articolele fără dată.",
    "month": "Luna se scrie AAAA-LL, de exemplu 2025-08.",
    "from": "Data „de la” trebuie să fie o zi din calendar, scrisă AAAA-LL-ZZ.",
    "to": "Data „până la” trebuie să fie o zi din calendar, scrisă AAAA-LL-ZZ.",
    "sort": "Ordonarea poate fi: relevance (relevanță), newest (cele mai noi) sau oldest (cele mai vechi).",
    "in": "Căutarea se poate restrânge doar la titlu: in=title.",
    "limit": "Numărul de sugestii trebuie să fie un număr întreg de la 1 la 20.",
}

CODE_MESSAGES = {
    "not_found": "Nu există nimic la această adresă.",
    "method_not_allowed": "Adresa aceasta nu acceptă metoda cererii.",
    "index_missing": "Indexul nu a fost construit încă.",
    "index_unreadable": "Indexul este deteriorat și trebuie reconstruit.",
    "index_locked": "Indexul este scris chiar acum de altă comandă; reîncercați peste puțin timp.",
    "internal_error": "A apărut o eroare neașteptată; a fost înregistrată.",
}


def error_message(exc: BaseException, code: str) -> str:
    """The Romanian sentence an HTML error page shows for an error."""
    if isinstance(exc, BadParameter):
        if exc.name == "from" and " is after " in exc.message:
            return "Data „de la” este după data „până la”: inversați-le."
        if exc.name not in PARAMETER_RULES:
            return f"Parametrul „{exc.name}” nu are o valoare validă."
        limits = {name: format_int(setting(name)) for name in ("max_query_chars", "max_page", "max_per_page")}
        return PARAMETER_RULES[exc.name].format(**limits)
    if isinstance(exc, SearchappError) or code in CODE_MESSAGES:
        return CODE_MESSAGES.get(code, "Cererea nu a putut fi îndeplinită.")
    return "Cererea nu este validă."
