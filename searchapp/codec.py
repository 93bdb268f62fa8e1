"""Whoosh's W3 codec, with two fixes that make writing a segment cheaper.

Profiling `searchapp reindex` (BENCHMARKS.md) showed most of a segment's terms hold one
posting (every spelling word, and the rare words of the body), and Whoosh wrote each of them
as a posting block of its own: a pickle, zlib, a block header. W3Codec can put such short
posting lists inside the term's entry instead ("inlining"), but in Whoosh 2.7.5 that path
calls `W3TermInfo.set_inline`, a method that does not exist (it is `set_inlined`), so the
default `inlinelimit=1` keeps it switched off. Reading inlined postings works (a
`ListMatcher`); only the writer side is mended here.

The second: while writing the postings, Whoosh looks up each posting's field length, one
column read and byte decoding per posting, and for a field without lengths (the spelling
field) it asks the file system whether the length column exists, once per posting. Here a
field's lengths are decoded once per segment into a list, and a missing column is remembered
(a reader at search time gets the same lists: BM25 reads a length per scored document).

The codec object is pickled into the index's table of contents, so this class must stay
importable under this name for existing indexes to open.
"""

from __future__ import annotations

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, W3PerDocReader, W3PostingsWriter, _lenfield
from whoosh.util.numeric import byte_to_length

# Terms with fewer postings than this are inlined into the term index.
INLINE_LIMIT = 2


class SearchappCodec(W3Codec):
    def __init__(self, blocklimit: int = 128, compression: int = 3, inlinelimit: int = INLINE_LIMIT):
        super().__init__(blocklimit=blocklimit, compression=compression, inlinelimit=inlinelimit)

    def postings_writer(self, dbfile, byteids=False):
        return _InliningPostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )

    def per_document_reader(self, storage, segment):
        return _ColumnCachingPerDocReader(storage, segment)


class _InliningPostingsWriter(W3PostingsWriter):
    def finish_postings(self):
        if self.written() or len(self) >= self._inlinelimit:
            return super().finish_postings()
        terminfo = self._terminfo
        terminfo.add_block(self)
        terminfo.set_inlined(self._ids, self._weights, self._values_as_read())
        self._terminfo = None
        return terminfo

    def _values_as_read(self) -> tuple:
        """The values as a block reader gives them back. For a fixed-size format that is the
        bytes cut at that size: Whoosh hands spelling postings the previous posting's value
        (a stale variable in `SegmentWriter.add_document`), and only this cut drops it."""
        size = self._format.fixed_value_size()
        if size is None or size < 0:
            return tuple(self._values)
        if size == 0:
            return (None,) * len(self._ids)
        joined = b"".join(self._values)
        return tuple(joined[i * size:(i + 1) * size] for i in range(len(self._ids)))


class _ColumnCachingPerDocReader(W3PerDocReader):
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
    path to it is four calls deep (postings.py)."""
    perdoc = getattr(reader, "_perdoc", None)
    if not isinstance(perdoc, _ColumnCachingPerDocReader):
        return None
    return perdoc._field_lengths(fieldname)
