"""Two repairs of article text that sources.py applies while it cleans it: mojibake (UTF-8
decoded with the wrong code page, once or twice) and "Citește și: <another article's headline>"
links. Both measured on the news corpus (QUALITY.md, "Clean sources").
"""

from __future__ import annotations

import re

import ftfy
import ftfy.bad_codecs  # noqa: F401  (registers the sloppy-windows-* codecs)

# --- mojibake ---------------------------------------------------------------------------------

# ftfy's encoding repairs only: entities, quotes, line breaks, widths and Unicode forms are the
# cleaner's own business (sources.clean_text) and Romanian text needs them as they are.
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
    "[\u0080-\u009f\u0370-\u03ff\u0400-\u052f\u0590-\u06ff\u10a0-\u10ff\u2e80-\u9fff\uac00-\ud7af\ue000-\uf8ff\ufffd]"
    "|[ÂÃÄÅÈ][\u00a0-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]"
    "|â€|[≈ƒ√][\u00a0-\u00ff\u2013-\u201e]"
)
# Romanian letters and typography: what a right repair gives back.
_ROMANIAN = re.compile("[ăâîșțşţĂÂÎȘȚŞŢ„”–—]")


def _plausibility(line: str) -> int:
    """Higher is more like Romanian text: its letters with diacritics, less three for every
    trace of mojibake."""
    return len(_ROMANIAN.findall(line)) - 3 * len(_GARBLE.findall(line))


def repair_mojibake(text: str) -> str:
    """Repair UTF-8 that was decoded with a wrong code page, line by line, with ftfy's encoding
    fixes; a line's repair is kept only when it reads more like Romanian than the line did.

    The check matters: ftfy reads `deformată»“` (clean) as cp1250 mojibake and would make it
    `deformat㻓`; it leaves text it cannot explain as it is (a line garbled through two code
    pages, or through one it does not know, such as ISO-8859-5 or HP Roman-8)."""
    if not _GARBLE.search(text):
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if _GARBLE.search(line):
            # Word by word first: one word garbled through a code page ftfy does not know
            # (`profitДғ`, kz1048) defeats a whole-line repair, and a whole-line repair can
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
    if not _GARBLE.search(word):
        return word
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


# --- related-article links ----------------------------------------------------------------------
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
_BARE = re.compile(rf"^{_MARKER}\s*:?[\s\-–]*$", re.IGNORECASE)
# A link: the marker with a colon, or followed by a capitalised headline; at the start of a
# line, after a sentence, or in brackets.
_LINK = re.compile(
    rf"(?:^|(?<=[.!?…\"”'’)])\s+|[(\[]\s*)(?P<marker>{_MARKER})"
    rf"(?:\s*:\s*|\s+(?={_HEADLINE_START})|\s*$)",
    re.IGNORECASE,
)
# dcnews.ro leaves "[citeste si]" where its related-article box was, and a time stamp.
_BRACKETED = re.compile(rf"\[\s*{_MARKER}\s*\]\s*(?:\d{{1,2}} [A-Za-z]+, \d{{1,2}}:\d{{2}}\s*)?", re.IGNORECASE)
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


def _strip_inline_links(line: str) -> str:
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
