"""Words as the articles write them: for each folded word (`timisoara`), its written forms
(`Timișoara`, `TIMIȘOARA`) and how many articles have each, plus frequent names of two or
three capitalised words (`Klaus Iohannis`).

The index holds folded, stemmed terms, and its spelling field folded words: neither says how a
word is written. This table does, for suggestions as you type (`suggest.py`) and for showing a
corrected word with its diacritics and capitals. It is counted while an index generation is
written (`FormCounter.add` per article), stored beside the segments as one small `.npz` of
byte blobs and offsets (`written-forms.npz`), and loaded once per generation.

Counts are documents, not occurrences: a key's count is the number of articles with any of its
forms, a form's the number with that form. Nothing is pruned, so that `searchapp update` can
take a changed or deleted article's words out again exactly (`FormCounter.add(..., sign=-1)`).
Legacy cedilla letters (ş, ţ) are written with the comma below (ș, ț), the correct Romanian
letters, so both spellings count as one form.
"""

from __future__ import annotations

import os
import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import romanian

FILE_NAME = "written-forms.npz"
# A name: a capital letter and at least one more letter (Romanian capitals and the commonest
# foreign ones; Python's re has no \p{Lu}).
_CAPITALS = "A-ZĂÂÎȘȚŞŢÉÈÖÜÁÓÍÚÇÑŁŚŻŹ"
_NAME = rf"[{_CAPITALS}][^\W\d_]+"
# Lower-case words that join the parts of a name: Coreea de Nord, Banca Națională a României.
_JOINERS = ("de", "a", "al", "din", "lui", "la", "pe")
_NAME_RUN = re.compile(rf"{_NAME}(?: (?:(?:{'|'.join(_JOINERS)}) )?{_NAME})+")
# After these (or at the start of a text) a capital says "sentence", not "name".
_SENTENCE_ENDS = frozenset('.!?:;"„”«»‘’\'-–—•…')
_HAS_LETTER = re.compile(r"[^\W\d_]")
PHRASE_WORDS = (2, 3, 4)  # a name of up to three capitalised words and one joiner
UPPER_BOUND = b"\xff"  # never in UTF-8: prefix + this sorts after every key with the prefix


def key_of(text: str) -> str:
    """The table's key of a word or name: folded (`Timișoara` -> `timisoara`), one space between
    the words of a name."""
    return " ".join(romanian.fold(word) for word in text.split())


def _written(text: str) -> str:
    """Comma-below ș/ț for the cedilla letters, no soft hyphens (str.replace: translate with
    a table is ten times slower on long Romanian texts)."""
    for old, new in _WRITTEN:
        if old in text:
            text = text.replace(old, new)
    return text


_WRITTEN = (("ş", "ș"), ("Ş", "Ș"), ("ţ", "ț"), ("Ţ", "Ț"), ("\u00ad", ""))


def document_forms(*texts: str) -> set[str]:
    """The distinct written forms of an article: its words with a letter, and its names: two
    or three capitalised words (perhaps joined by `de`, `a`, ...), not starting a sentence."""
    forms: set[str] = set()
    for text in texts:
        if not text:
            continue
        text = _written(text)
        forms.update(romanian.WORD_PATTERN.findall(text))
        for run in _NAME_RUN.finditer(text):
            names = run.group().split(" ")
            before = run.start() - 1
            while before >= 0 and text[before].isspace():
                before -= 1
            if before < 0 or text[before] in _SENTENCE_ENDS:
                names = names[1:]
            for n in PHRASE_WORDS:
                forms.update(" ".join(names[i:i + n]) for i in range(len(names) - n + 1)
                             if names[i][0].isupper() and names[i + n - 1][0].isupper()
                             and sum(name[0].isupper() for name in names[i:i + n]) <= 3)
    return {form for form in forms if not form[0].isdigit() or _HAS_LETTER.search(form)}


class FormCounter:
    """Counts written forms and keys article by article; `table()` freezes the counts."""

    def __init__(self) -> None:
        self.forms: Counter[str] = Counter()  # written form -> articles with it
        # key -> articles with any of its forms (an article may write a word two ways, so this
        # is not the sum of the forms' counts)
        self.keys: Counter[str] = Counter()
        self._key_of: dict[str, str] = {}  # a form's key, folded once per counter

    def add(self, *texts: str, sign: int = 1) -> None:
        """Count one article (its title and text); `sign=-1` takes it out again."""
        forms = document_forms(*texts)
        key_cache = self._key_of
        for form in forms:
            if form not in key_cache:
                key_cache[form] = key_of(form)
        keys = set(map(key_cache.__getitem__, forms))
        if sign > 0:  # Counter.update of an iterable counts in C
            self.forms.update(forms)
            self.keys.update(keys)
        else:
            self.forms.subtract(forms)
            self.keys.subtract(keys)

    def table(self) -> WrittenForms:
        by_key: dict[str, dict[str, int]] = defaultdict(dict)
        for form, count in self.forms.items():
            if count > 0:
                by_key[self._key_of.get(form) or key_of(form)][form] = count
        return WrittenForms.from_counts(by_key, self.keys)


@dataclass(frozen=True)
class Entry:
    key: str  # folded
    form: str  # the commonest written form
    count: int  # articles with any form of it


def _blob(strings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    encoded = [s.encode("utf-8") for s in strings]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets


class WrittenForms:
    """The frozen table: keys sorted (as UTF-8 bytes), each with its article count and its
    forms, commonest first. Lookups bisect the key blob; nothing is decoded until asked for."""

    ARRAYS = ("keys", "key_offsets", "counts", "form_starts", "forms", "form_offsets", "form_counts")

    def __init__(self, arrays: dict[str, np.ndarray]):
        self.arrays = arrays
        self._keys = arrays["keys"].tobytes()
        self._key_offsets = arrays["key_offsets"]
        self._counts = arrays["counts"]
        self._form_starts = arrays["form_starts"]
        self._forms = arrays["forms"].tobytes()
        self._form_offsets = arrays["form_offsets"]
        self._form_counts = arrays["form_counts"]

    @classmethod
    def from_counts(cls, by_key: dict[str, dict[str, int]], key_counts: dict[str, int]) -> WrittenForms:
        keys = sorted(by_key, key=lambda k: k.encode("utf-8"))
        forms: list[str] = []
        form_counts: list[int] = []
        form_starts = [0]
        for key in keys:
            # ties: a form in capitals only (a headline's) after the others
            ranked = sorted(by_key[key].items(), key=lambda item: (-item[1], item[0].isupper(), item[0]))
            forms.extend(form for form, _ in ranked)
            form_counts.extend(count for _, count in ranked)
            form_starts.append(len(forms))
        key_blob, key_offsets = _blob(keys)
        form_blob, form_offsets = _blob(forms)
        return cls({
            "keys": key_blob,
            "key_offsets": key_offsets,
            "counts": np.array([key_counts.get(k) or sum(by_key[k].values()) for k in keys], dtype=np.int32),
            "form_starts": np.array(form_starts, dtype=np.int64),
            "forms": form_blob,
            "form_offsets": form_offsets,
            "form_counts": np.array(form_counts, dtype=np.int32),
        })

    # -- storage

    def save(self, path: Path) -> None:
        """Written to a temporary name and renamed: a reader sees the old table or the new."""
        path = Path(path)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        with open(temporary, "wb") as handle:
            np.savez(handle, **self.arrays)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)

    @classmethod
    def load(cls, path: Path) -> WrittenForms:
        with np.load(path, allow_pickle=False) as data:
            return cls({name: data[name] for name in cls.ARRAYS})

    # -- lookups

    def __len__(self) -> int:
        return len(self._counts)

    def _key(self, i: int) -> bytes:
        return self._keys[self._key_offsets[i]:self._key_offsets[i + 1]]

    def _form(self, j: int) -> str:
        return self._forms[self._form_offsets[j]:self._form_offsets[j + 1]].decode("utf-8")

    def _bisect(self, target: bytes) -> int:
        lo, hi = 0, len(self)
        while lo < hi:
            mid = (lo + hi) // 2
            if self._key(mid) < target:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _entry(self, i: int) -> Entry:
        return Entry(self._key(i).decode("utf-8"), self._form(int(self._form_starts[i])), int(self._counts[i]))

    def lookup(self, word: str) -> Entry | None:
        """The entry of a word or name in any spelling (`timisoara`, `Timişoara`), or None."""
        key = key_of(word).encode("utf-8")
        i = self._bisect(key)
        return self._entry(i) if i < len(self) and self._key(i) == key else None

    def written_form(self, word: str) -> str | None:
        """The commonest written form of a folded word (`romaniei` -> `României`), or None."""
        entry = self.lookup(word)
        return entry.form if entry else None

    def forms(self, word: str) -> list[tuple[str, int]]:
        """Every written form of a word with its article count, commonest first."""
        key = key_of(word).encode("utf-8")
        i = self._bisect(key)
        if i == len(self) or self._key(i) != key:
            return []
        start, end = int(self._form_starts[i]), int(self._form_starts[i + 1])
        return [(self._form(j), int(self._form_counts[j])) for j in range(start, end)]

    def completions(self, prefix: str, limit: int = 10, keep=lambda key: True) -> list[Entry]:
        """The entries whose key starts with the folded `prefix`, most articles first (ties:
        alphabetical), those whose key `keep` accepts."""
        folded = key_of(prefix) + (" " if prefix[-1:].isspace() and prefix.strip() else "")
        target = folded.encode("utf-8")
        lo, hi = self._bisect(target), self._bisect(target + UPPER_BOUND)
        counts = self._counts[lo:hi]
        wanted = limit
        while True:
            if len(counts) > 4 * wanted:
                # Only the best few are sorted: a one-letter prefix spans thousands of keys.
                best = np.argpartition(-counts, 4 * wanted)[:4 * wanted]
                order = best[np.lexsort((best, -counts[best]))]
            else:
                order = np.lexsort((np.arange(len(counts)), -counts))
            found = []
            for i in order.tolist():
                if keep(self._key(lo + i).decode("utf-8")):
                    found.append(self._entry(lo + i))
                    if len(found) == limit:
                        return found
            if len(order) == len(counts):
                return found
            wanted *= 4  # `keep` refused many: look further


def build_counter(stored_documents) -> FormCounter:
    """A counter over stored articles (dicts with `title` and `body`), for an index that was
    built without a table."""
    counter = FormCounter()
    for fields in stored_documents:
        counter.add(fields.get("title") or "", fields.get("body") or "")
    return counter


def counter_of(table: WrittenForms) -> FormCounter:
    """A counter holding a table's counts again, to update it article by article."""
    counter = FormCounter()
    for i in range(len(table)):
        key = table._key(i).decode("utf-8")
        start, end = int(table._form_starts[i]), int(table._form_starts[i + 1])
        for j in range(start, end):
            counter.forms[table._form(j)] = int(table._form_counts[j])
        counter.keys[key] = int(table._counts[i])
    return counter


# --- one table per index generation, loaded once per process ----------------------------------

_loaded: dict[Path, tuple[int, WrittenForms]] = {}
_loading = threading.Lock()


def for_generation(generation: Path | None) -> WrittenForms | None:
    """The table of an index generation (reloaded when `update` rewrote it), or None when the
    generation has none (built before tables existed: `searchapp reindex` adds one)."""
    if generation is None:
        return None
    path = Path(generation) / FILE_NAME
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return None
    with _loading:
        cached = _loaded.get(path)
        if cached is None or cached[0] != stamp:
            _loaded.clear()  # one generation at a time: the previous one is gone or going
            _loaded[path] = (stamp, WrittenForms.load(path))
        return _loaded[path][1]
