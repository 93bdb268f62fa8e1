"""Romanian text rules, whatever the engine: words, folding, the stop list, the stemmer.

* A word is a run of letters or digits (`WORD_PATTERN`); hyphens split clitics (`într-o`).
* `fold()`: lower-case ASCII (`Țară` -> `tara`); `normalize()`: lower case, comma-below ș/ț.
* A word is a stop word only as written (`data/stopwords-ro.txt`): `pește` (fish) is searched,
  `peste` (over) is not, so engines drop stop words before folding.
* The `exact` field's terms file each written form under its folded key (`putin|Putin`).
* `stem()`: Snowball Romanian (PyStemmer's C implementation when installed), applied to the
  folded word, because the stemmer reads diacritics (QUALITY.md).

The Whoosh analyzers built from these rules are in engines/whoosh/analysis.py; the Solr
configset's stop list is generated from `stop_word_list()`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib.resources import files

from unidecode import unidecode

# The comma-below letters are the correct Romanian ones; the cedilla forms are legacy.
CEDILLA_TO_COMMA = str.maketrans({"ş": "ș", "Ş": "Ș", "ţ": "ț", "Ţ": "Ț"})

# Words: runs of letters/digits, possibly with soft hyphens inside (the source cleaner removes
# them from stored text, this keeps queries and raw text safe too). Numbers keep their
# separators so that `15.000` can become `15000`. Hyphens, quotes and dashes separate words,
# which splits clitics: `într-o` -> `într`, `o`; `s-a` -> `s`, `a`.
WORD_PATTERN = re.compile(r"\d+(?:[.,]\d+)*|[^\W_]+(?:\u00ad+[^\W_]+)*")
# A text split into gap, word, gap, word, ..., gap (the words as WORD_PATTERN finds them).
_WORDS_AND_GAPS = re.compile(f"({WORD_PATTERN.pattern})")
THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+")

# Between a written form's folded key and the form itself in the `exact` field's terms; no word
# contains it (WORD_PATTERN).
FORM_SEPARATOR = "|"


def fold(text: str) -> str:
    """Lower-case ASCII transliteration: `Țară` -> `tara`."""
    return unidecode(text).lower()


def normalize(text: str) -> str:
    """NFC, lower case, comma-below ș/ț, no soft hyphens: the unfolded comparison form."""
    return unicodedata.normalize("NFC", text).lower().translate(CEDILLA_TO_COMMA).replace("\u00ad", "")


def normalize_case_kept(text: str) -> str:
    """`normalize` without the lower case: the written form of a word (`Țară`, `Putin`)."""
    return unicodedata.normalize("NFC", text).translate(CEDILLA_TO_COMMA).replace("\u00ad", "")


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """The Romanian stop list as written (normalised: lower case, comma-below ș/ț)."""
    text = files("searchapp").joinpath("data/stopwords-ro.txt").read_text(encoding="utf-8")
    return frozenset(normalize(w) for line in text.splitlines() for w in line.split("#", 1)[0].split())


def stop_word_list() -> list[str]:
    """Every spelling of every stop word, comma-below and cedilla ș/ț both (for other engines'
    stop filters, which compare the text as it is)."""
    cedilla = str.maketrans({"ș": "ş", "ț": "ţ"})
    return sorted(stop_words() | {w.translate(cedilla) for w in stop_words()})


def is_stop_word(word: str) -> bool:
    return normalize(word) in stop_words()


# The share of an article's letters that carry diacritics, below which its spelling tells nothing
# about which word it means (`fata`: fată or fața?). Romanian news text has 4-6 %; 1,077 of the
# corpus's 40,514 articles have none, 432 fewer than 2 % (QUALITY.md).
DIACRITIC_SHARE = 0.01
_DIACRITIC_LETTERS = frozenset("ăâîșşțţĂÂÎȘŞȚŢ")


def writes_diacritics(text: str) -> bool:
    """True when the text is written with Romanian diacritics, so that a word written without
    them is meant so (`Putin`, not `puțin`)."""
    letters = sum(map(str.isalpha, text))
    return letters > 0 and sum(map(_DIACRITIC_LETTERS.__contains__, text)) >= DIACRITIC_SHARE * letters


def form_key(word: str) -> str:
    """The folded lower-case key under which the `exact` field files a written form."""
    return _fold_word(word.lower())


def form_term(form: str) -> str:
    """The `exact` field's term for a written form: `Putin` -> `putin|Putin`."""
    return form_key(form) + FORM_SEPARATOR + form


@lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer  # uses PyStemmer's C implementation when it is installed

    return snowballstemmer.stemmer("romanian")


def stem(word: str) -> str:
    """The Snowball Romanian stem of one lower-case word."""
    return _stemmer().stemWord(word)



@lru_cache(maxsize=200_000)
def _normal_word(word: str) -> str:
    return normalize(word)


@lru_cache(maxsize=200_000)
def _fold_word(word: str) -> str:
    if word.isascii():
        return word
    # unidecode has no ASCII for some scripts (it returns ""); such words stay as they are.
    return fold(word).strip() or word



def words(text: str) -> list[str]:
    """The words of a text as the tokenizer sees them, unchanged."""
    return WORD_PATTERN.findall(text)  # no capturing groups: findall gives the whole words


def replace_word(text: str, word: str, other: str) -> str:
    """The text with every occurrence of the word (a whole word) written as `other`."""
    return re.sub(rf"(?<![^\W_]){re.escape(word)}(?![^\W_])", lambda _: other, text)
