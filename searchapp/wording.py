"""Words for people, in Romanian: counts, numbers, times and error messages.

The core returns data and error codes; the web pages and the terminal both say them with these
functions, so that `633 de rezultate` reads the same everywhere. The JSON API keeps the
errors' own (English) messages: those are for programs and are part of the contract.
"""

from __future__ import annotations

from .errors import BadParameter, SearchappError


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


# --- errors on the HTML pages -----------------------------------------------------------------

# What each search parameter must be, said to a reader (the API's messages say it to a program).
PARAMETER_RULES = {
    "q": "Căutarea este prea lungă: folosiți cel mult 1.000 de caractere.",
    "page": "Numărul paginii trebuie să fie un număr întreg de la 1 la 1.000.",
    "per_page": "Numărul de rezultate pe pagină trebuie să fie un număr întreg de la 1 la 100.",
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
        return PARAMETER_RULES.get(exc.name, f"Parametrul „{exc.name}” nu are o valoare validă.")
    if isinstance(exc, SearchappError) or code in CODE_MESSAGES:
        return CODE_MESSAGES.get(code, "Cererea nu a putut fi îndeplinită.")
    return "Cererea nu este validă."
