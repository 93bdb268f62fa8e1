"""How a posting stores where its word stands: positions (and characters) as packed integers.

Whoosh's `Positions` and `Characters` formats store each posting's positions as a pickle of
deltas, and decoding one is an unpickle and a Python loop over its occurrences. A quoted phrase
decodes the positions of every article that has all its words: at 40k articles, `"miliarde
lei"` decoded 8,540 postings, and the unpickling and the loop were 40 % of the request
(BENCHMARKS.md). Here a posting's value is the occurrences' positions, then (for characters)
their start and end characters, each an unsigned 32-bit integer, little-endian: decoding is one
`array.frombytes` and a slice, at C speed. Whoosh has no such format, and the stdlib's `array`
is the cheapest decoder there is without a compiled dependency.

The schema pickles these classes into the index's table of contents: their module, names and
attributes are part of the index format (store.FORMAT_VERSION), as is the packed value (its
place in a posting block: codec.py).
"""

from __future__ import annotations

import sys
from array import array

import numpy as np
from whoosh.formats import Characters, Positions

_UINT = "I"
if array(_UINT).itemsize != 4:  # pragma: no cover - every platform CPython supports today
    _UINT = "L" if array("L").itemsize == 4 else None
if _UINT is None:  # pragma: no cover
    raise ImportError("searchapp.formats needs a 4-byte unsigned array type")
_BIG_ENDIAN = sys.byteorder == "big"


def _packed(numbers) -> bytes:
    values = array(_UINT, numbers)
    if _BIG_ENDIAN:  # pragma: no cover - the file format is little-endian everywhere
        values.byteswap()
    return values.tobytes()


def unpacked(valuestring: bytes) -> array:
    """The integers of a packed posting value."""
    values = array(_UINT)
    values.frombytes(valuestring)
    if _BIG_ENDIAN:  # pragma: no cover
        values.byteswap()
    return values


def term_occurrences(value, analyzer, kwargs: dict, chars: bool) -> dict | None:
    """The analyzer's terms with their flattened occurrences, when it can give them without
    Tokens (analysis.CachedAnalyzer, indexing a whole string); else None."""
    occurrences = getattr(analyzer, "occurrences", None)
    if occurrences is None or not isinstance(value, str) or set(kwargs) - {"mode"} or kwargs.get("mode") != "index":
        return None
    return occurrences(value, chars)


class PackedPositions(Positions):
    """Whoosh's Positions (frequency, weight, positions), each value packed integers."""

    def word_values(self, value, analyzer, **kwargs):
        # Whoosh's word_values reads a Token per word: indexing the corpus spent more time
        # there than in the stemmer (BENCHMARKS.md). Same terms, weights and values.
        found = term_occurrences(value, analyzer, kwargs, chars=False)
        if found is None:
            yield from super().word_values(value, analyzer, **kwargs)
            return
        boost = self.field_boost
        for term, positions in found.items():
            yield term, len(positions), len(positions) * boost, _packed(positions)

    def encode(self, poslist) -> bytes:
        return _packed(poslist)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return unpacked(valuestring).tolist()

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring) // 4


class PackedCharacters(Characters):
    """Whoosh's Characters (frequency, weight, positions, characters): a posting's value is
    its n positions, then its n start characters, then its n end characters."""

    def word_values(self, value, analyzer, **kwargs):
        found = term_occurrences(value, analyzer, kwargs, chars=True)  # see PackedPositions.word_values
        if found is None:
            yield from super().word_values(value, analyzer, **kwargs)
            return
        boost = self.field_boost
        for term, flat in found.items():
            count = len(flat) // 3
            # Three terms in four occur once in an article, their value already in order.
            yield term, count, count * boost, _packed(flat if count == 1 else flat[0::3] + flat[1::3] + flat[2::3])

    def encode(self, poslist) -> bytes:
        positions, starts, ends = zip(*poslist) if poslist else ((), (), ())
        return _packed(positions + starts + ends)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        values = unpacked(valuestring)
        return values[: len(values) // 3].tolist()

    def decode_characters(self, valuestring: bytes) -> list[tuple[int, int, int]]:
        values = unpacked(valuestring)
        n = len(values) // 3
        return list(zip(values[:n], values[n: 2 * n], values[2 * n:]))

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring) // 12


def is_packed(field_format) -> bool:
    return isinstance(field_format, (PackedPositions, PackedCharacters))


def keyed_positions(values: list[bytes], field_format) -> np.ndarray:
    """The positions of many packed posting values at once, as one increasing array of keys:
    the value's number in the high 32 bits, the position in the low ones (a phrase checks all
    its candidates with a few array operations, phrases.py)."""
    if not values:
        return np.zeros(0, dtype=np.int64)
    share = 3 if isinstance(field_format, PackedCharacters) else 1  # integers per occurrence
    sizes = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    if (sizes % (4 * share)).any():
        raise ValueError("a packed posting value of a length no occurrences can have")
    sizes //= 4
    counts = sizes // share  # the positions come first, then (for characters) starts and ends
    packed = np.frombuffer(b"".join(values), dtype="<u4").astype(np.int64)
    owner = np.repeat(np.arange(len(values), dtype=np.int64), counts)
    first = np.repeat(np.cumsum(sizes) - sizes, counts)  # where each position's value starts
    rank = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    return (owner << 32) | packed[first + rank]
