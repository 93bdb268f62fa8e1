"""The segment codec of searchapp's indexes: Whoosh's W3 codec with split posting blocks.

Profiling `searchapp reindex` (BENCHMARKS.md) showed most of a segment's terms hold one
posting (every spelling word, and the rare words of the body), and Whoosh wrote each of them
as a posting block of its own: a pickle, zlib, a block header. W3Codec can put such short
posting lists inside the term's entry instead ("inlining"), but in Whoosh 2.7.5 that path
calls `W3TermInfo.set_inline`, a method that does not exist (it is `set_inlined`), so the
default `inlinelimit=1` keeps it switched off. Reading inlined postings works (a
`ListMatcher`); only the writer side is mended here.

While writing the postings, Whoosh looks up each posting's field length, one column read and
byte decoding per posting, and for a field without lengths (the spelling field) it asks the
file system whether the length column exists, once per posting. Here a field's lengths are
decoded once per segment into a list, and a missing column is remembered (a reader at search
time gets the same lists: BM25 reads a length per scored document).

A posting block keeps its document numbers and weights apart from its values (positions and
characters): a search reads the numbers and weights of every posting of its words (to count,
and to score, every match) but the values only of the few postings it shows or checks for a
phrase. In Whoosh's block the three are one zlib'd pickle, and decompressing and unpickling the
values was 97 % of reading a block of the body (156 us a block, 5 us for the numbers and
weights alone; BENCHMARKS.md).

The field writer also takes a term's whole posting list in one call (`add_term`), which the
term pool of `writer.py` uses: blocks cut from the list by slicing, one-posting terms put
straight into their inlined term info, the same bytes as posting-by-posting writing.

The codec object is pickled into each segment's entry of the index's table of contents:
`SplitBlockCodec`'s module, name and attributes are part of the index format
(store.FORMAT_VERSION), as is the layout below.

The split posting block, on disk
--------------------------------
(tests/test_format_pinned.py parses a committed index by this description.) Integers marked
"!" are big-endian `struct` codes; "pickle 2" and "pickle 5" are pickle protocols.

Finding a term. A segment's files are parts of its compound file `<segment>.seg` (Whoosh's
CompoundStorage: "!q" the offset and "!i" the length of its directory, a pickle of
{file name: {"offset", "length", "modified"}}). Its term table `<segment>.trm` (Whoosh's
`OrderedHashWriter` file, its `extras["fieldmap"]` numbering the fields) maps the key
"!H" field number + the term's bytes to the term's `W3TermInfo` bytes:

    "!BfIBBfII"  inlined (0 or 1), total weight, document frequency, shortest and longest field
                 length (one byte each, `length_to_byte`; 0: none), highest weight, first and
                 last document number
    inlined 1:   pickle 2 of (ids, weights, values), the term's postings (fewer than
                 INLINE_LIMIT: no block; Whoosh's `ListMatcher` reads them)
    inlined 0:   "!q" offset and "!i" length, in bytes, of the term's postings in `<segment>.pst`

A term's postings in `<segment>.pst`, `length` bytes from `offset`:

    b"SaB2"      SPLIT_BLOCK_MAGIC (Whoosh's W3 blocks start b"W3Bl")
    then a block for each 128 postings (`blocklimit`; the last may hold fewer), in document
    order, each:
    "!i"         the block's length in bytes after these four (info + data), negated for the
                 term's last block: the next block starts 4 + abs(length) bytes further on
    info         pickle 2 of (count of postings, last document number, highest weight,
                 compression level, shortest and longest field length byte), as in Whoosh
    "!I"         the length of the head, in bytes
    head         pickle 2 of (ids, weights):
                   ids      a tuple: the first document number, then each one's gap from the
                            one before
                   weights  None when every weight is 1.0, one float when all are equal, else
                            a tuple of floats (float32 values: the writer keeps `array("f")`).
                            A weight is the term's frequency in the document times the field's
                            boost (2.0 in the title)
    values       the rest of the block: pickle 5 of the postings' values, zlib'd at the
                 compression level (3; stored as is at 0). By the field's format: PackedPositions
                 (title) and PackedCharacters (body, formats.py) a tuple of bytes, each posting's
                 occurrences as unsigned 32-bit little-endian integers: its n positions (word
                 numbers from 0) and, in the body, then its n start and n end characters; a
                 fixed-size format (Frequency: "!I" each) one bytes object, the values end to
                 end; Existence (size 0) None

Document numbers are the segment's own, from 0. A search reads a term's whole extent at once
and, for each block, only its length, info and head (`SplitBlockMatcher.read_all`); a block's
values are decompressed when one of its postings' positions is first asked for (`_read_values`,
from the end of the head to the next block).
"""

from __future__ import annotations

import struct
import zlib
from array import array
from io import BytesIO
from itertools import accumulate
from operator import sub
from pickle import dumps, load, loads

import numpy as np
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    W3Codec,
    W3FieldWriter,
    W3LeafMatcher,
    W3PerDocReader,
    W3PostingsWriter,
    W3TermInfo,
    _lenfield,
)
from whoosh.system import pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

from .store import DamagedData

# Terms with fewer postings than this are inlined into the term index.
INLINE_LIMIT = 2
SPLIT_BLOCK_MAGIC = b"SaB2"
VALUES_PICKLE_PROTOCOL = 5
_HEAD_LENGTH = struct.Struct("!I")
_BLOCK_LENGTH = struct.Struct("!i")  # whoosh.system.unpack_int: negative for the last block


class SplitBlockCodec(W3Codec):
    """Whoosh's W3 codec, writing and reading split posting blocks (the module's docstring),
    inlining the shortest posting lists and decoding field lengths once per segment."""

    def __init__(self, blocklimit: int = 128, compression: int = 3, inlinelimit: int = INLINE_LIMIT):
        super().__init__(blocklimit=blocklimit, compression=compression, inlinelimit=inlinelimit)

    def postings_writer(self, dbfile, byteids=False):
        return _SplitBlockPostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if terminfo.is_inlined():  # Whoosh's ListMatcher over the term info's postings
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        offset, length = terminfo.extent()
        return SplitBlockMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)

    def per_document_reader(self, storage, segment):
        return _ColumnCachingPerDocReader(storage, segment)

    def field_writer(self, storage, segment):
        return _TermAtATimeFieldWriter(self, storage, segment)


class _TermAtATimeFieldWriter(W3FieldWriter):
    """W3FieldWriter that also takes a term's whole posting list at once (writer.py)."""

    def add_term(self, btext: bytes, ids, weights, values, lengths) -> None:
        """start_term, add() for each posting, finish_term. `lengths`: every document's
        length of the field (a function of the document number), or None."""
        postwriter = self._postwriter
        if len(ids) >= postwriter._inlinelimit:
            self.start_term(btext)
            postwriter.add_many(ids, weights, values, lengths)
            self.finish_term()
            return
        # Most terms have one posting, inlined into the term table: the posting writer's
        # block bookkeeping for it cost more than the term's entry (BENCHMARKS.md).
        postwriter._format = self._format
        self._tindex.add(pack_ushort(self._fieldid) + btext, postwriter.inlined_terminfo_bytes(ids, weights, values, lengths))


class _SplitBlockPostingsWriter(W3PostingsWriter):
    def finish_postings(self):
        if self.written() or len(self) >= self._inlinelimit:
            return super().finish_postings()
        terminfo = self._terminfo
        terminfo.add_block(self)
        terminfo.set_inlined(self._ids, self._weights, self._values_as_read(self._values, len(self._ids)))
        self._terminfo = None
        return terminfo

    def inlined_terminfo_bytes(self, ids, weights, values, lengths) -> bytes:
        """The term info bytes that start_postings, add_posting for each posting,
        finish_postings and `W3TermInfo.to_bytes` give a posting list too short for a block of
        its own, packed straight: the term info object and the posting writer's arrays for a
        one-posting term cost more than packing it (a third of a spelling term's cost)."""
        ids, weights32 = tuple(ids), tuple(array("f", weights))  # weights as the block keeps them
        given = [n for n in map(lengths, ids) if n] if lengths is not None else []
        minlength = min(given, default=None)
        head = W3TermInfo._struct.pack(
            True, sum(weights32), len(ids), 0 if minlength is None else length_to_byte(minlength),
            length_to_byte(max(given, default=0)), max(0, max(weights)), ids[0], ids[-1])
        postings = (ids, weights32, self._values_as_read([v for v in values if v], len(ids)))
        return head + dumps(postings, 2)  # protocol 2, as W3TermInfo.to_bytes

    def add_many(self, ids, weights, values, lengths) -> None:
        """`add_posting` for a term's whole posting list, a block at a time (writer.py):
        the same blocks and statistics. `lengths` gives a document's field length (a function
        of the document number), or None."""
        limit = self._blocklimit
        for start in range(0, len(ids), limit):
            if self._ids:
                self._write_block()
            block_ids = array("I", ids[start:start + limit])
            block_weights = weights[start:start + limit]
            self._ids = block_ids
            self._weights = array("f", block_weights)
            self._values = [v for v in values[start:start + limit] if v]
            self._maxweight = max(0, max(block_weights))
            if lengths is not None:
                given = [n for n in map(lengths, block_ids) if n]
                self._minlength = min(given, default=None)
                self._maxlength = max(given, default=0)

    # Whoosh's _mini_ids and _mini_weights, with the loops over a block's postings at C speed
    # (a generator and two all() per block were a tenth of writing the body's blocks): the same
    # tuples and floats.
    def _mini_ids(self):
        ids = self._ids
        if self._byteids or not ids:
            return tuple(ids)
        return (ids[0], *map(sub, ids[1:], ids[:-1]))

    def _mini_weights(self):
        weights = self._weights
        if weights.count(1.0) == len(weights):
            return None
        if weights.count(weights[0]) == len(weights):
            return weights[0]
        return tuple(weights)

    def _values_as_read(self, values: list, count: int) -> tuple:
        """The (non-empty) values of `count` postings as a block reader gives them back. For a
        fixed-size format that is the bytes cut at that size: Whoosh hands spelling postings
        the previous posting's value (a stale variable in `SegmentWriter.add_document`), and
        only this cut drops it."""
        size = self._format.fixed_value_size()
        if size is None or size < 0:
            return tuple(values)
        if size == 0:
            return (None,) * count
        joined = b"".join(values)
        return tuple(joined[i * size:(i + 1) * size] for i in range(count))

    def _write_block(self, last=False):
        # W3PostingsWriter._write_block, the data laid out as the module's docstring says.
        if not self._blockcount:
            self._postfile.write(SPLIT_BLOCK_MAGIC)
        self._terminfo.add_block(self)
        head = dumps((self._mini_ids(), self._mini_weights()), 2)
        # Pickle protocol 5, not Whoosh's 2: protocol 2 stores each bytes value as a call to
        # `_codecs.encode`, and unpickling a body block's 128 values took 85 us instead of 6
        # (BENCHMARKS.md).
        values = dumps(self._mini_values(), VALUES_PICKLE_PROTOCOL)
        compression = self._compression
        if compression:
            values = zlib.compress(values, compression)
        databytes = _HEAD_LENGTH.pack(len(head)) + head + values
        ids = self._ids
        infobytes = dumps((len(ids), ids[-1], self._maxweight, compression,
                           length_to_byte(self._minlength), length_to_byte(self._maxlength)), 2)
        blocklength = len(infobytes) + len(databytes)
        self._postfile.write_int(-blocklength if last else blocklength)
        self._postfile.write(infobytes)
        self._postfile.write(databytes)
        self._blockcount += 1
        self._new_block()


class SplitBlockMatcher(W3LeafMatcher):
    """W3LeafMatcher over split blocks: the values are read only when asked for."""

    def _read_header(self):
        postfile = self._postfile
        postfile.seek(self._startoffset)
        magic = postfile.read(4)
        if magic != SPLIT_BLOCK_MAGIC:
            raise ValueError(f"not a split posting block: {magic!r}")
        self._baseoffset = postfile.tell()

    def _read_data(self):
        start = self._dataoffset
        (headlength,) = _HEAD_LENGTH.unpack(self._postfile.get(start, _HEAD_LENGTH.size))
        ids, weights = loads(self._postfile.get(start + _HEAD_LENGTH.size, headlength))
        self._valuesoffset = start + _HEAD_LENGTH.size + headlength
        self._data = (ids, weights, None)

    def _read_values(self):
        if self._data is None:
            self._read_data()
        if self._data[2] is None:
            raw = self._postfile.get(self._valuesoffset, self._nextoffset - self._valuesoffset)
            self._data = (self._data[0], self._data[1], loads(zlib.decompress(raw) if self._compression else raw))
        super()._read_values()

    def read_all(self) -> tuple[list[int], list[float], list[int], list[int]]:
        """Every posting's document number and weight, with each block's first posting (its index)
        and its position in the file (to read its values by later): the whole posting list read at
        once and walked block by block. Whoosh's matcher steps through a dozen methods and resets
        ten attributes per block, which was most of reading a common word at 160k articles."""
        start, length = self._startoffset, self._length
        if isinstance(length, tuple):  # W3TermInfo.from_bytes keeps unpack_int's 1-tuple
            (length,) = length
        data = BytesIO(self._postfile.get(start, length))
        read, seek, tell = data.read, data.seek, data.tell
        unpack_length, unpack_head = _BLOCK_LENGTH.unpack, _HEAD_LENGTH.unpack
        ids: list[int] = []
        weights: list[float] = []
        starts: list[int] = []
        positions: list[int] = []
        seek(len(SPLIT_BLOCK_MAGIC))
        last = False
        while not last:
            position = tell()
            (length,) = unpack_length(read(_BLOCK_LENGTH.size))
            last = length < 0
            count = load(data)[0]  # the block's info: (count, last id, max weight, ...)
            (headlength,) = unpack_head(read(_HEAD_LENGTH.size))
            block_ids, block_weights = loads(read(headlength))
            starts.append(len(ids))
            positions.append(start + position)
            ids.extend(block_ids if self._byteids else accumulate(block_ids))
            if block_weights is None:  # every weight 1.0, as W3LeafMatcher._read_weights gives them
                weights.extend([1.0] * count)
            elif isinstance(block_weights, float):
                weights.extend([block_weights] * count)
            else:
                weights.extend(block_weights)
            seek(position + _BLOCK_LENGTH.size + abs(length))
        return ids, weights, starts, positions


class _ColumnCachingPerDocReader(W3PerDocReader):
    def stored_fields(self, docnum):
        # Whoosh reads an empty stored value as "no stored fields" ({}); every document
        # searchapp writes stores its id and text, so an empty one is damage.
        fields = super().stored_fields(docnum)
        if not fields or not isinstance(fields, dict):
            raise DamagedData(f"document {docnum} has no stored fields")
        return fields

    def has_column(self, fieldname):
        known = self.__dict__.setdefault("_known_columns", {})
        if fieldname not in known:
            known[fieldname] = super().has_column(fieldname)
        return known[fieldname]

    def doc_field_length(self, docnum, fieldname, default=0):
        if docnum > self._doccount:
            raise IndexError(f"Asked for docnum {docnum!r} of {self._doccount}")
        lengths = self._field_lengths(fieldname)
        return default if lengths is None else lengths[docnum]

    def _field_lengths(self, fieldname: str) -> list | None:
        cache = self.__dict__.setdefault("_lengths", {})
        if fieldname not in cache:
            reader = self._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            # Byte 0 decodes to None, as W3PerDocReader.doc_field_length returns for it.
            cache[fieldname] = None if reader is None else [_DECODED_LENGTH[reader[i]] for i in range(self._doccount)]
        return cache[fieldname]


_DECODED_LENGTH = [None] + [byte_to_length(b) for b in range(1, 256)]


def field_lengths(reader, fieldname: str) -> list | None:
    """Every document's length of `fieldname` in one segment (as `doc_field_length` gives
    them, indexed by the segment's document number), when the segment was written with this
    codec; else None. Scoring a posting list reads one length per posting, and Whoosh's
    path to it is four calls deep (scores.py)."""
    perdoc = getattr(reader, "_perdoc", None)
    if not isinstance(perdoc, _ColumnCachingPerDocReader):
        return None
    return perdoc._field_lengths(fieldname)


def field_length_array(reader, fieldname: str) -> np.ndarray | None:
    """`field_lengths` as an array of floats (NaN where a length is missing), made once per
    segment, for scoring whole posting arrays (scores.py)."""
    perdoc = getattr(reader, "_perdoc", None)
    lengths = field_lengths(reader, fieldname)
    if lengths is None:
        return None
    cache = perdoc.__dict__.setdefault("_length_arrays", {})
    if fieldname not in cache:
        cache[fieldname] = np.array([np.nan if length is None else length for length in lengths], dtype=np.float64)
    return cache[fieldname]
