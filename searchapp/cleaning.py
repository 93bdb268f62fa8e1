"""Cleaning article text as it arrives from the web: entities, invisible characters and runs
of spaces; page furniture; "Citește și: <another article's headline>" links; mojibake (UTF-8
decoded with the wrong code page, once or twice). The last two are measured on the news corpus
(QUALITY.md, "Clean sources"). Plain functions of text; sources.py reads the files.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata

import ftfy
import ftfy.bad_codecs  # noqa: F401  (registers the sloppy-windows-* codecs)

# --- cleaning text as it arrives from the web -------------------------------------------------

# Soft hyphens and zero-width marks. A regex, not str.translate: translating every character of
# every article through a dict was 0.85 s of 5,000 articles' cleaning, the regex 0.12 s.
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]+")
_BLANK_RUNS = re.compile(r"\n{3,}")
# Runs of spaces, tabs and no-break spaces, but not a single plain space: replacing each of the
# text's spaces by itself was most of the cost of folding the runs (0.52 s against 0.14 s, 5k).
_SPACES = re.compile(r"[\t\u00a0\u2007\u202f][ \t\u00a0\u2007\u202f]*| [ \t\u00a0\u2007\u202f]+")


def decode_entities(text: str) -> str:
    """Decode HTML entities, including double-escaped ones such as `&amp;icirc;`."""
    for _ in range(3):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def clean_text(text: str) -> str:
    """Entities decoded, mojibake repaired, Unicode composed (NFC), soft hyphens and zero-width
    marks removed, runs of spaces folded, line structure kept. Stray HTML tags stay as text."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", repair_mojibake(decode_entities(text))))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _without_blank_runs("\n".join(lines))


def _without_blank_runs(text: str) -> str:
    """At most one blank line in a row, the text stripped. The regex runs only where it has
    something to do: scanning every text for a run was a fifth of the cleaning's regex time."""
    if "\n\n\n" in text:
        text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip()


# --- page furniture ---------------------------------------------------------------------------
# Matched on a folded, lower-cased copy of each line, so both ş/ș spellings and text without
# diacritics are recognised. No library knows Romanian news sites' furniture; these patterns
# come from the seeds and from the corpus's known boilerplate (see corpus SOURCE.md).

_FURNITURE_LINE = re.compile(
    r"""^(
        distribuie\ pe\b.*                                  # share buttons
      | (share|trimite)\ (on|pe)\ (facebook|x|twitter|whatsapp|email)\b.*
      | viewscnt | \d+\ (vizualizari|afisari)               # view counters
      | urmareste-ne\b.* | urmariti-ne\b.* | follow\ us\b.*  # "follow us" lines
      | (da|dati)\ like\b.*facebook.* | aboneaza-te\b.*
      | articolul\ de\ mai\ sus\ este\ destinat\b.*           # republication notices
      | daca\ reprezentati\ o\ institutie\ media\b.*
      | citi(ti|ti)?\ articolul\ integral\ pe\b.*
      | comenteaza | lasa\ un\ comentariu.* | adauga\ un\ comentariu.*   # comment prompts
      | [\d.,]+                                               # bare counters
      # The news corpus's own (QUALITY.md, "Clean sources"): social prompts, paywall notices,
      # ad scripts, cookie notices and link lines that hundreds of articles of one site share.
      | pentru\ cele\ mai\ importante\ stiri\ ale\ zilei\b.* | daca\ ti-a\ placut\ articolul,\ urmareste\b.*
      | urmareste\ mediafax\ pe\ instagram\b.* | continutul\ website-ului\ www\.mediafax\.ro\b.*
      | te-ar\ putea\ interesa\ si:?
      | vrei\ sa\ citesti\ acest\ articol\?.* | zf\ corporate\ este\ serviciul\ specializat\b.*
      | cititi\ (in\ continuare|mai\ multe)\ pe\ (zf\ corporate|www\.zfcorporate\.ro)\b.*
      | wikizf:\ profilul\ companiei\b.* | cursul\ valutar\ bnr\.\ vedeti\ aici\b.*
      | ado\.slave\(.* | /\*\ \(c\)adocean\b.*
      | setarile\ tale\ privind\ cookie-urile\b.*
    )$""",
    re.VERBOSE,
)
# A site's widget of other sites' headlines and ads, one per line: "PUBLICITATE <ad>",
# "GSP.RO <headline>". Case matters (a paragraph may well start with "Recomandări pentru").
_PROMO_LINE = re.compile(
    r"^(?:PUBLICITATE|Recomandări|HOROSCOP Horoscop|Playtech\.ro|GSP\.RO|Orangesport\.ro|Știrileprotv\.ro"
    r"|Observatornews\.ro) (?=[\"'„“«(]?[A-ZĂÂÎȘȚŞŢ0-9]).{20}"
)
# Lines that open the related-articles block: everything from here on is furniture.
# ("Citește și" links are not a block: the article goes on after them; cleaning.py drops them.)
_RELATED_BLOCK = re.compile(r"^(explor(eaza|a) subiectul|articole similare|articole recomandate)$")


class _FoldTable(dict):
    """str.translate table that drops diacritics, filled one character at a time.

    Folding every line of every article character by character in Python was 10 % of
    `reindex` (BENCHMARKS.md); str.translate does the lookups in C and calls back here only
    the first time a character is seen. Same result as NFD without combining marks.
    """

    def __missing__(self, code: int) -> str:
        decomposed = unicodedata.normalize("NFD", chr(code))
        folded = self[code] = "".join(c for c in decomposed if not unicodedata.combining(c))
        return folded


_FOLD_TABLE = _FoldTable()


# Furniture is short, or recognised by its start (the longest start the patterns spell out is
# 36 characters); folding a long paragraph whole only cost time (all of a line was folded,
# twice: 1.0 s of 5,000 articles' 2.2 s of reading).
_FOLDED_PREFIX = 64


def _fold_line(line: str) -> str:
    """The line lower-cased and without diacritics, for matching the furniture patterns. Past
    `_FOLDED_PREFIX` characters only lower-cased: the patterns read a long line only for its
    start, for `facebook` (ASCII) and for digits, which folding leaves as they are."""
    head, tail = line[:_FOLDED_PREFIX], line[_FOLDED_PREFIX:]
    return (head.lower().translate(_FOLD_TABLE) + tail.lower()).strip()


def strip_furniture(text: str) -> tuple[str, str | None]:
    """Return the article text without page furniture, and the headline found in it, if any.

    A headline is the line standing right before the related-articles block (news sites
    repeat the title there); it becomes the title and leaves the body.
    """
    lines = text.split("\n")
    folded = [_fold_line(line) for line in lines]
    headline = None
    for i, line in enumerate(folded):
        if _RELATED_BLOCK.match(line):
            lines, folded = lines[:i], folded[:i]
            headline = _pop_headline(lines)
            break
    kept = [line for line, fold in zip(lines, folded) if not _FURNITURE_LINE.match(fold) and not _PROMO_LINE.match(line)]
    if _may_have_markers(text):  # spares most articles a pass per line
        kept = strip_related_links(kept)
    return _without_blank_runs("\n".join(without_repeated_paragraphs(kept))), headline


# Shorter lines ("Foto: ...", a speaker's name, a weather warning's "Zone afectate: ...") may repeat
# on purpose.
_REPEATED_MIN = 60


def without_repeated_paragraphs(lines: list[str]) -> list[str]:
    """The lines without a paragraph printed a second time, and without a lead that the body
    repeats: some pages print the lead, then again as the start of a paragraph or further down
    (1% of the news corpus; QUALITY.md, "Clean sources"). The later, fuller copy stays."""
    seen: set[str] = set()
    kept = []
    for line in lines:
        key = line.strip()
        if len(key) >= _REPEATED_MIN:
            if key in seen:
                continue
            seen.add(key)
        kept.append(line)
    first = next((i for i, line in enumerate(kept) if line.strip()), None)
    if first is not None and len(lead := kept[first].strip()) >= _REPEATED_MIN:
        if any(lead in line for line in kept[first + 1:]):
            del kept[first]
    return kept


def _pop_headline(lines: list[str]) -> str | None:
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and len(lines[-1]) <= 200 and not lines[-1].rstrip().endswith((".", "!", "?", ":")):
        return lines.pop().strip()
    return None


# --- mojibake ---------------------------------------------------------------------------------

# ftfy's encoding repairs only: entities, quotes, line breaks, widths and Unicode forms are the
# cleaner's own business (clean_text) and Romanian text needs them as they are.
_FTFY = ftfy.TextFixerConfig(
    unescape_html=False, remove_terminal_escapes=False, fix_latin_ligatures=False,
    fix_character_width=False, uncurl_quotes=False, fix_line_breaks=False, fix_surrogates=False,
    remove_control_chars=False, normalization=None, explain=False,
)
# What UTF-8 read with a wrong code page leaves: C1 controls, letters of scripts a Romanian
# article does not mix into Latin words (Cyrillic, Greek, Arabic, ...: `Г®n`, `أ®n`), a Latin-1
# lead letter before a continuation byte's character (`Ã®`, `Ä\x83`, `È™`), `â€` (cp1252 for
# the quotes and dashes) and the Mac Roman leads (`≈£`, `ƒÉ`, `√Æ`). Lines without any are
# never handed to ftfy (ftfy over every line was 0.6 ms an article).
_GARBLE = re.compile(
    "[\u0080-\u009f\u0370-\u03ff\u0400-\u052f\u0590-\u06ff\u10a0-\u10ff\u2e80-\u9fff\uac00-\ud7af\ue000-\uf8ff]"
    "|[ÂÃÄÅÈ][\u00a0-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]"
    "|â€|[≈ƒ√][\u00a0-\u00ff\u2013-\u201e]"
)
# A character class that every match of _GARBLE starts with: scanning a text for it alone was
# 5 times faster than for _GARBLE, and most texts have none.
_MAYBE_GARBLE = re.compile(
    "[\u0080-\u009f\u0370-\u06ff\u10a0-\u10ff\u2e80-\u9fff\uac00-\ud7af\ue000-\uf8ffÂÃÄÅÈ€≈ƒ√]")
# Romanian letters and typography: what a right repair gives back.
_ROMANIAN = re.compile("[ăâîșțşţĂÂÎȘȚŞŢ„”–—]")


def _plausibility(line: str) -> int:
    """Higher is more like Romanian text: its letters with diacritics, less three for every
    trace of mojibake."""
    return len(_ROMANIAN.findall(line)) - 3 * len(_GARBLE.findall(line))


def repair_mojibake(text: str) -> str:
    """Repair UTF-8 that was decoded with a wrong code page: each garbled word, then each line
    still garbled, with ftfy's encoding fixes (and, for words, the code pages ftfy does not try
    on them); a repair is kept only when it reads more like Romanian than what it replaces.

    The check matters: ftfy reads `deformată»“` (clean) as cp1250 mojibake and would make it
    `deformat㻓`. Alone, ftfy leaves words garbled through a code page it does not try on them
    (ISO-8859-5, HP Roman-8, PT154, ...), hence the others; text garbled through two code pages
    stays as it is."""
    if not _MAYBE_GARBLE.search(text) or not _GARBLE.search(text):
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if _GARBLE.search(line):
            # Word by word first: one word garbled through a code page ftfy does not know
            # (`profitДғ`, PT154) defeats a whole-line repair, and a whole-line repair can
            # make a word worse (`CriХ\x9eana`, ISO-8859-5, to `CriХžana`). Then the whole
            # line, for garble that spans words.
            line = _WORD.sub(_repaired_word, line)
            lines[i] = _fixed_if_better(line) if _GARBLE.search(line) else line
    return "\n".join(lines)


_WORD = re.compile(r"\S+")
# Code pages the corpus's garbled words were decoded with that ftfy does not try on a word
# (it judges `Г®n` too short to be sure): each is tried on a still garbled word, and kept
# only when the bytes are UTF-8 and the word reads better (QUALITY.md).
_MORE_CODE_PAGES = ("sloppy-windows-1251", "ptcp154", "cp1256", "iso8859_5", "iso8859_10", "iso8859_16",
                    "hp_roman8", "mac_roman", "sloppy-windows-1252")


def _fixed_if_better(text: str) -> str:
    fixed = ftfy.fix_text(text, _FTFY)
    return fixed if fixed != text and _plausibility(fixed) > _plausibility(text) else text


def _repaired_word(match: re.Match) -> str:
    word = match.group(0)
    return _repaired(word) if _GARBLE.search(word) else word


@functools.lru_cache(maxsize=65536)
def _repaired(word: str) -> str:
    """The garbled word's best repair; memoised, as garbled articles repeat their words (`Г®n`)."""
    best, score = word, _plausibility(word)
    for candidate in [_fixed_if_better(word), *(_redecoded(word, page) for page in _MORE_CODE_PAGES)]:
        if candidate and _plausibility(candidate) > score:
            best, score = candidate, _plausibility(candidate)
    return best


def _redecoded(word: str, code_page: str) -> str | None:
    try:
        return word.encode(code_page).decode("utf-8")
    except UnicodeError:
        return None


# --- related-article links --------------------------------------------------------------------
# "Citește și: <headline>" (read also), "Vezi și:", "Citiți și", "Vă recomandăm să citiți și:",
# in every spelling (ș/ş/s, ț/ţ/t, any case). Found in the corpus (QUALITY.md): on a line of
# their own followed by headline lines; at the start of a line with the headline after them; or
# inside a paragraph, after a sentence, with the headline pasted into the text that follows.
# Without a colon the words are also ordinary prose ("vezi și tu", "Vezi și comentariul"): then
# only a capitalised headline after them makes them a link.

_MARKER = (r"(?:mai\s+)?(?:cite[sșş]te|citi[tțţ]i|vezi|v[aă]\s+recomand[aă]m\s+s[aă]\s+citi[tțţ]i)"
           r"\s+[sșş]i\b")
_HEADLINE_START = r"(?-i:[\"'„“«(]?[A-ZĂÂÎȘȚŞŢ0-9])"
# The whole line is the marker: the headlines follow on the next lines.
_BARE = re.compile(rf"^{_MARKER}\s*[:.…]*[\s\-–]*$", re.IGNORECASE)
# A link: the marker with a colon, or followed by a capitalised headline; at the start of a
# line, after a sentence, or in brackets; anywhere when a colon and a capital follow it.
_LINK = re.compile(
    rf"(?:^|(?<=[.!?…\"”'’)])\s*|[(\[]\s*|\s+(?={_MARKER}\s*:\s*{_HEADLINE_START}))(?P<marker>{_MARKER})"
    rf"(?:\s*:\s*|\s+(?={_HEADLINE_START})|\s*$)",
    re.IGNORECASE,
)
# dcnews.ro leaves "[citeste si]" where its related-article box was, and a time stamp.
_BRACKETED = re.compile(rf"\[\s*{_MARKER}\s*\]\s*(?:\d{{1,2}} [A-Za-z]+, \d{{1,2}}:\d{{2}}\s*)?", re.IGNORECASE)
# Every marker starts with one of these; a text or line without any is not searched further.
_MARKER_WORDS = re.compile(r"\b(?:[Cc][Ii][Tt][EeIi]|[Vv][Ee][Zz][Ii])")

_SENTENCE_END = re.compile(r"[.!?](?=[\"'”’]?\s+[\"'„“«(]?[A-ZĂÂÎȘȚŞŢ])")
# At most this many headline lines follow a marker on a line of its own (the corpus has 1-5).
MAX_LISTED_HEADLINES = 8
# A headline that ends its paragraph is at most this long (the corpus's run to 200 characters);
# longer, the article's text goes on after it.
HEADLINE_MAX_CHARS = 250
# Inside a paragraph a headline ends at its first sentence end within this many characters;
# without one only the marker goes (the headline's end cannot be told from the text that
# follows, and the article's own sentences must stay).
INLINE_HEADLINE_CHARS = 160


def strip_related_links(lines: list[str]) -> list[str]:
    """The lines without related-article links (see above)."""
    kept: list[str] = []
    to_drop = 0  # headline lines still expected after a marker on a line of its own
    for line in lines:
        if to_drop:
            if not line.strip():
                continue
            # A listed headline: short, without the full stop that ends a paragraph.
            if len(line) <= HEADLINE_MAX_CHARS and not line.rstrip().endswith("."):
                to_drop -= 1
                continue
            to_drop = 0
        if _BARE.match(line):
            to_drop = MAX_LISTED_HEADLINES
            continue
        stripped = _strip_inline_links(line)
        if stripped or not line:
            kept.append(stripped)
    return kept


def _may_have_markers(text: str) -> bool:
    # Substring tests first: on the corpus 7 times faster than the regex over every text.
    quick = any(word in text for word in ("cit", "Cit", "CIT", "vezi", "Vezi", "VEZI"))
    return quick and bool(_MARKER_WORDS.search(text))


def _strip_inline_links(line: str) -> str:
    if not _MARKER_WORDS.search(line):
        return line
    bracketed = "[" in line and _BRACKETED.search(line)
    if bracketed:
        line = _BRACKETED.sub(" ", line)
    out, position = [], 0
    for match in _LINK.finditer(line):
        if match.start() < position:
            continue
        rest = line[match.end():]
        if len(rest) <= HEADLINE_MAX_CHARS:
            end = len(line)
        else:
            sentence_end = _SENTENCE_END.search(rest, 0, INLINE_HEADLINE_CHARS)
            end = match.end() + (sentence_end.end() if sentence_end else 0)
        out.append(line[position:match.start()])
        position = end
    if not out:
        return re.sub(r" {2,}", " ", line).strip() if bracketed else line
    out.append(line[position:])
    return re.sub(r"\s{2,}", " ", " ".join(out)).strip()
