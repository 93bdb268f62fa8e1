"""Reading article sources: seed `.txt` files and bulk `.jsonl` / `.jsonl.gz` files.

Everything here is plain Python: it yields clean `Article`s (text decoded, web debris and page
furniture removed, a title chosen) and records every file or line it had to skip or repair as a
`Problem`, so that one bad input never stops the rest.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import re
import stat
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .cleaning import clean_text, decode_entities, strip_furniture  # noqa: F401  (decode_entities: part of this API)
from .errors import SourceError

TITLE_MAX_CHARS = 120
LEGACY_ENCODINGS = ("cp1250", "iso-8859-2")


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    text: str
    date: str | None = None  # YYYY-MM-DD, or None when the source gives no valid date
    url: str | None = None
    source: str | None = None

    @property
    def content_hash(self) -> str:
        """Hash of everything indexed, so `update` can tell a changed article from an unchanged one."""
        payload = "\x1f".join([self.title, self.text, self.date or "", self.url or "", self.source or ""])
        return hashlib.sha1(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Problem:
    where: str
    reason: str
    skipped: bool = True  # False: repaired and indexed anyway

    def __str__(self) -> str:
        verb = "skipped" if self.skipped else "repaired"
        return f"{self.where}: {verb}: {self.reason}"


@dataclass
class ReadReport:
    problems: list[Problem] = field(default_factory=list)

    def skip(self, where: str, reason: str) -> None:
        self.problems.append(Problem(where, reason, skipped=True))

    def repair(self, where: str, reason: str) -> None:
        self.problems.append(Problem(where, reason, skipped=False))

    @property
    def skipped(self) -> list[Problem]:
        return [p for p in self.problems if p.skipped]


_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’»]?\s+(?=[\"'„“«(]?[A-ZĂÂÎȘȚŞŢ0-9])")


def first_sentence_title(text: str, max_chars: int = TITLE_MAX_CHARS) -> str:
    """The first sentence of the text, shortened at a word boundary."""
    first_para = text.strip().split("\n", 1)[0]
    sentence = _SENTENCE_END.split(first_para, maxsplit=1)[0].strip()
    if len(sentence) <= max_chars:
        return sentence
    cut = sentence[: max_chars + 1].rsplit(" ", 1)[0].rstrip(",;:-–— ")
    return cut + " …"


def make_article(
    id: str,
    raw_text: str,
    title: str | None = None,
    date: str | None = None,
    url: str | None = None,
    source: str | None = None,
) -> Article | None:
    """Clean an article as the contract asks; None when no article text is left."""
    text, headline = strip_furniture(clean_text(raw_text))
    if not text:
        return None
    title = clean_text(title or "").replace("\n", " ") or headline or first_sentence_title(text)
    return Article(id=id, title=title, text=text, date=date, url=url or None, source=source or None)


# --- dates ------------------------------------------------------------------------------------

_DATE_HEADER = re.compile(r"^\s*date\s+(\S+)[ \t]*\n?")


def valid_date(value: str) -> bool:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


# --- reading files ----------------------------------------------------------------------------


def _decode(data: bytes, where: str, report: ReadReport) -> str | None:
    if b"\x00" in data[:8192]:
        report.skip(where, "binary file (NUL bytes), not text")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text, encoding = _legacy_decoded(data)
    if text is not None:
        report.repair(where, f"not UTF-8; decoded as {encoding}")
        return text
    report.skip(where, "not UTF-8, cp1250 or ISO-8859-2 text; save it as UTF-8")
    return None


def _looks_like_text(text: str) -> bool:
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\n\r\t\f")
    return controls <= len(text) // 100


def read_seed_file(path: Path, report: ReadReport) -> Article | None:
    """One `seeds/*.txt` file: optional `date YYYY-MM-DD` header, id from the file name, source
    from the folder's name."""
    where = str(path)
    data = path.read_bytes()
    text = _decode(data, where, report)
    if text is None:
        return None
    date = None
    header = _DATE_HEADER.match(text)
    if header:
        text = text[header.end():]
        if valid_date(header.group(1)):
            date = header.group(1)
        else:
            report.repair(where, f"impossible date {header.group(1)!r}; indexed as undated")
    # A seed file names no source; its folder does (the contract's rule for seeds).
    article = make_article(path.stem, text, date=date, source=path.absolute().parent.name)
    if article is None:
        report.skip(where, "no article text (empty, or only page furniture)")
    return article


def read_jsonl(path: Path, report: ReadReport) -> Iterator[Article]:
    """Stream a `.jsonl` or `.jsonl.gz` file one line at a time. A line that is not UTF-8 is
    decoded as `.txt` files are (cp1250, then ISO-8859-2) and counted in the report, or skipped
    with its number; never decoded with replacement characters."""
    opener = gzip.open if path.name.endswith(".gz") else open
    redecoded: Counter[str] = Counter()
    with opener(path, "rb") as raw:
        if b"\x00" in raw.peek(8192)[:8192]:
            report.skip(str(path), "binary file (NUL bytes), not JSON lines")
            return
        for number, data in enumerate(raw, start=1):
            line, encoding = _decode_line(data, first=number == 1)
            if line is None:
                report.skip(f"{path}:{number}", "not UTF-8, cp1250 or ISO-8859-2 text; save the file as UTF-8")
                continue
            if encoding:
                redecoded[encoding] += 1
            if line.strip():
                article = _article_from_json(line, f"{path}:{number}", report)
                if article is not None:
                    yield article
    for encoding, count in redecoded.items():
        report.repair(str(path), f"{count} line{'s' if count > 1 else ''} not UTF-8; re-decoded from {encoding}")


def _decode_line(data: bytes, first: bool) -> tuple[str | None, str | None]:
    """A JSON line's text and the legacy encoding it needed (None for UTF-8)."""
    try:
        return data.decode("utf-8-sig" if first else "utf-8"), None
    except UnicodeDecodeError:
        return _legacy_decoded(data)


def _legacy_decoded(data: bytes) -> tuple[str | None, str | None]:
    """Bytes that are not UTF-8 as the first legacy encoding that gives text, and its name."""
    for encoding in LEGACY_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return text, encoding
    return None, None


def _article_from_json(line: str, where: str, report: ReadReport) -> Article | None:
    try:
        record = json.loads(line)
    except ValueError as exc:
        report.skip(where, f"malformed JSON ({exc.msg})")
        return None
    if not isinstance(record, dict):
        report.skip(where, "a JSON line must be an object")
        return None
    article_id, text = record.get("id"), record.get("text")
    if not isinstance(article_id, str) or not article_id.strip():
        report.skip(where, 'missing "id" (a non-empty string)')
        return None
    if not isinstance(text, str):
        report.skip(where, f'article {article_id!r} has no "text" string')
        return None
    date = _optional_str(record.get("date"))
    if date is not None and not valid_date(date):
        report.repair(where, f"impossible date {date!r}; indexed as undated")
        date = None
    article = make_article(
        article_id.strip(),
        text,
        title=_optional_str(record.get("title")),
        date=date,
        url=_optional_str(record.get("url")),
        source=_optional_str(record.get("source")),
    )
    if article is None:
        report.skip(where, f"article {article_id!r} has no text")
    return article


def _optional_str(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _is_article_file(name: str) -> bool:
    return name.endswith((".txt", ".jsonl", ".jsonl.gz"))


def list_source_files(source: Path) -> list[Path]:
    """The article files a source names: the file itself, or a folder's article files."""
    if source.is_dir():
        try:
            names = sorted(os.listdir(source))
        except OSError as exc:
            raise SourceError(f"cannot read the source folder {source}: {exc.strerror}") from exc
        return [source / name for name in names if _is_article_file(name)]
    if source.exists():
        return [source]
    if os.path.lexists(source):
        raise SourceError(f"source {source} is a broken symbolic link or a symlink loop; pass --source with a folder or a .jsonl file")
    raise SourceError(f"source {source} does not exist; pass --source with a folder or a .jsonl file")


def read_file(path: Path, report: ReadReport) -> Iterator[Article]:
    if path.name.endswith((".jsonl", ".jsonl.gz")):
        yield from read_jsonl(path, report)
    else:
        article = read_seed_file(path, report)
        if article is not None:
            yield article


def read_articles(sources: Iterable[Path], report: ReadReport) -> Iterator[Article]:
    """Every article of every source, each id once; problems go to `report`.

    A file that cannot be read is skipped with its reason. A source folder that vanishes while
    it is read raises `SourceError`, so that a caller never commits half an archive.
    """
    seen: dict[str, str] = {}
    for source in sources:
        for path in list_source_files(Path(source)):
            reason = _not_a_regular_file(path)
            if reason:
                report.skip(str(path), reason)
                continue
            try:
                for article in read_file(path, report):
                    if article.id in seen:
                        report.skip(str(path), f"duplicate id {article.id!r} (first in {seen[article.id]})")
                        continue
                    seen[article.id] = str(path)
                    yield article
            except (OSError, EOFError, gzip.BadGzipFile) as exc:
                _skip_unreadable(Path(source), path, exc, report)


def _not_a_regular_file(path: Path) -> str | None:
    """Why `path` is not read at all, or None for a regular file (or one whose stat fails: the
    read then reports why). A named pipe called `x.txt` would block a reindex forever."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder, not an article file"
    return "not a regular file (a named pipe, socket or device)"


def _skip_unreadable(source: Path, path: Path, exc: Exception, report: ReadReport) -> None:
    if isinstance(exc, FileNotFoundError) and not source.exists():
        raise SourceError(f"source {source} vanished while it was being read; nothing was changed") from exc
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    report.skip(str(path), f"cannot read: {reason}")
