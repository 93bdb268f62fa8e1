"""Index writers that gather a segment's postings by term, in memory, instead of in Whoosh's pool.

Whoosh's `SegmentWriter` puts every posting into a `PostingPool` as a 5-tuple, sorts all of
them (spilling sorted runs to disk past `limitmb`, merging them back with a heap), and then
hands them, one Python call per posting, to the codec's field writer. Timing `searchapp
reindex` on 5,000 articles put half of the build in that commit (BENCHMARKS.md). Here
`TermPostingPool` files each posting under its field and term as it arrives (documents come
in order, so each term's postings are already sorted), and the segment is written term by
term: the term keys are sorted, not the postings, and a term's postings go to the codec's
posting writer a block at a time (`codec._SplitBlockPostingsWriter.add_many`). The files are
Whoosh's own: the same codec writes them, and a test checks the postings against Whoosh's
writer (`tests/test_writer.py`).

The pool holds a segment's postings compactly (document numbers and weights in arrays, the
values of a term in one byte string). Past `limitmb` it spills them to a sorted run on disk, a
term at a time, and the segment is written from the runs merged term by term: one segment per
writer process at any size, as with Whoosh's pool.
"""

from __future__ import annotations

import heapq
import pickle
import tempfile
from array import array
from itertools import groupby

from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import SegmentWriter

# Bytes a posting costs in the pool beyond its value, and a term beyond its postings (arrays
# and their entries in the dicts, arrays over-allocating), fitted to tracemalloc readings of
# the pool on 2,000 and 5,000 news articles.
POSTING_BYTES = 14
TERM_BYTES = 480
RUN_CHUNK_TERMS = 4096  # terms a pickle of a spilled run holds


class _TermPostings:
    """One term's postings: document numbers, weights, and the values joined end to end."""

    __slots__ = ("ids", "weights", "values", "ends")

    def __init__(self):
        self.ids = array("I")
        self.weights = array("d")
        self.values = bytearray()
        self.ends = array("I")


class TermPostingPool:
    """Stands in for Whoosh's `PostingPool` in a `SegmentWriter`: `add()` takes the same
    `(fieldname, btext, docnum, weight, vbytes)` items, `write_to()` writes them as a field
    writer's postings, in the order Whoosh's sorted pool gives them."""

    def __init__(self):
        self.fieldnames: set[str] = set()
        self._fields: dict[str, dict[bytes, _TermPostings]] = {}
        self._unordered: set[tuple[str, bytes]] = set()
        self._runs: list = []  # spilled runs (anonymous files), oldest first
        self.size = 0  # estimated bytes held

    def add(self, item) -> None:
        fieldname, btext, docnum, weight, vbytes = item
        self.add_field(fieldname, docnum, ((btext, 0, weight, vbytes),), 1.0, False)

    def add_field(self, fieldname: str, docnum: int, items, boost: float, scorable: bool) -> tuple[int, bytes | None]:
        """`add()` for each `(btext, frequency, weight, vbytes)` item of one document's field,
        the weight times `boost`; the field's length (frequencies summed if scorable) and the
        last item's value (see PooledSegmentWriter.add_document)."""
        terms = self._fields.get(fieldname)
        if terms is None:
            terms = self._fields[fieldname] = {}
            self.fieldnames.add(fieldname)
        length = size = count = 0
        vbytes = None
        for btext, frequency, weight, vbytes in items:
            if scorable:
                length += frequency
            postings = terms.get(btext)
            if postings is None:
                postings = terms[btext] = _TermPostings()
                size += TERM_BYTES + len(btext)
            elif docnum <= postings.ids[-1]:
                self._unordered.add((fieldname, btext))
            postings.ids.append(docnum)
            postings.weights.append(weight * boost)
            if vbytes:
                postings.values += vbytes
                size += len(vbytes)
            postings.ends.append(len(postings.values))
            count += 1
        self.size += size + count * POSTING_BYTES
        return length, vbytes

    def spill(self, folder: str) -> None:
        """Write the postings held to a sorted run in an anonymous file of `folder` and let
        them go (Whoosh's pool spills too, a posting at a time; here a term at a time)."""
        run = tempfile.TemporaryFile(dir=folder, prefix=".searchapp-run-")
        chunk = []
        for fieldname, btext, ids, weights, values, ends in self._held_records():
            # Arrays as their bytes: pickling and unpickling an array object took ten times
            # as long, and was most of the cost of a spill.
            chunk.append((fieldname, btext, ids.tobytes(), weights.tobytes(), values, ends.tobytes()))
            if len(chunk) == RUN_CHUNK_TERMS:
                pickle.dump(chunk, run, 5)
                chunk = []
        pickle.dump(chunk, run, 5)
        run.seek(0)
        self._runs.append(run)
        self._fields = {name: {} for name in self._fields}
        self.size = 0

    def iter_postings(self):
        """Every posting as Whoosh's pool gives them: sorted by field, term, document."""
        for fieldname, btext, ids, weights, values in self._records():
            for docnum, weight, value in zip(ids, weights, values):
                yield fieldname, btext, docnum, weight, value

    def write_to(self, fieldwriter, schema, perdoc_reader) -> None:
        """Write every field's terms and postings through a codec field writer."""
        current = None
        for fieldname, btext, ids, weights, values in self._records():
            if fieldname != current:
                if current is not None:
                    fieldwriter.finish_field()
                fieldwriter.start_field(fieldname, schema[fieldname])
                lengths = _field_lengths(perdoc_reader, fieldname)
                current = fieldname
            _add_postings(fieldwriter, btext, ids, weights, values, lengths)
        if current is not None:
            fieldwriter.finish_field()

    def _held_records(self):
        """(fieldname, btext, ids, weights, values) of the postings held, sorted by term."""
        for fieldname in sorted(self._fields):
            terms = self._fields[fieldname]
            for btext in sorted(terms):
                postings = terms[btext]
                yield fieldname, btext, postings.ids, postings.weights, bytes(postings.values), postings.ends

    def _records(self):
        """Every term's postings, the spilled runs' and the held ones merged term by term (the
        runs are in document order, so a term's postings are its runs' lists one after another)."""
        sources = [_run_records(run) for run in self._runs] + [self._held_records()]
        merged = heapq.merge(*sources, key=_term_key) if len(sources) > 1 else sources[0]
        for key, parts in groupby(merged, _term_key):
            parts = list(parts)
            ids, weights, values = parts[0][2], parts[0][3], _split_values(parts[0][4], parts[0][5])
            if len(parts) > 1:
                ids, weights = array("I", ids), array("d", weights)
                for part in parts[1:]:
                    ids += part[2]
                    weights += part[3]
                    values += _split_values(part[4], part[5])
            if key in self._unordered:  # as Whoosh's pool sorts its tuples
                ids, weights, values = (list(column) for column in zip(*sorted(zip(ids, weights, values))))
            yield key[0], key[1], ids, weights, values

    def cleanup(self) -> None:
        for run in self._runs:
            run.close()
        self._runs.clear()
        self._fields.clear()
        self._unordered.clear()
        self.size = 0


def _term_key(record) -> tuple[str, bytes]:
    return record[0], record[1]


def _split_values(joined: bytes, ends) -> list[bytes]:
    """Each posting's value, cut from the values joined end to end at their `ends`."""
    start, values = 0, []
    for end in ends:
        values.append(joined[start:end])
        start = end
    return values


def _run_records(run):
    while True:
        try:
            chunk = pickle.load(run)
        except EOFError:
            return
        for fieldname, btext, ids, weights, values, ends in chunk:
            yield fieldname, btext, _array("I", ids), _array("d", weights), values, _array("I", ends)


def _array(typecode: str, raw: bytes) -> array:
    numbers = array(typecode)
    numbers.frombytes(raw)
    return numbers


def _add_postings(fieldwriter, btext: bytes, ids, weights, values, lengths) -> None:
    add_term = getattr(fieldwriter, "add_term", None)
    if add_term is not None:  # searchapp's codec
        add_term(btext, ids, weights, values, lengths)
        return
    fieldwriter.start_term(btext)
    for docnum, weight, value in zip(ids, weights, values):
        fieldwriter.add(docnum, weight, value, (lengths(docnum) if lengths else 0) or 0)
    fieldwriter.finish_term()


def _field_lengths(perdoc_reader, fieldname: str):
    """A function from document number to the field's length, or None when lengths are not
    kept. Lengths decoded once per segment where searchapp's codec wrote it."""
    if perdoc_reader is None:
        return None
    decoded = getattr(perdoc_reader, "_field_lengths", None)
    if decoded is not None:
        lengths = decoded(fieldname)
        return None if lengths is None else lengths.__getitem__
    return lambda docnum: perdoc_reader.doc_field_length(docnum, fieldname)


class PooledSegmentWriter(SegmentWriter):
    """A SegmentWriter with `TermPostingPool` in place of Whoosh's posting pool."""

    def __init__(self, ix, limitmb: int = 128, **kwargs):
        super().__init__(ix, limitmb=limitmb, **kwargs)
        self.pool = TermPostingPool()
        self.limit = limitmb * 1024 * 1024

    def add_document(self, **fields):
        """SegmentWriter.add_document, giving the pool each field's postings in one call
        (Whoosh makes a tuple and a call per posting)."""
        self._check_state()
        schema, perdocwriter, docnum = self.schema, self.perdocwriter, self.docnum
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)
        if any(schema[name].vector for name in fieldnames):
            return super().add_document(**fields)
        docboost = self._doc_boost(fields)
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields[fieldname]
                if value is not None:
                    self._add_field(fields, fieldname, schema[fieldname], value, docboost)
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1
        if self.pool.size > self.limit:
            self.pool.spill(getattr(self.storage, "folder", None))

    def _add_field(self, fields: dict, fieldname: str, field, value, docboost: float) -> None:
        length, vbytes = 0, None
        if field.indexed:
            boost = self._field_boost(fields, fieldname, docboost)
            length, vbytes = self.pool.add_field(fieldname, self.docnum, field.index(value), boost, field.scorable)
        if field.separate_spelling():
            # Whoosh gives each spelling posting the value of the field's last posting (a
            # variable left over from its loop); kept, so that the files are Whoosh's own.
            words = ((word.encode("utf-8"), 0, 1, vbytes) for word in field.spellable_words(value))
            self.pool.add_field(field.spelling_fieldname(fieldname), 0, words, 1.0, False)
        stored = fields.get(f"_stored_{fieldname}", value)
        self.perdocwriter.add_field(fieldname, field, stored if field.stored else None, length)
        if field.column_type and stored is not None:
            self.perdocwriter.add_column_value(fieldname, field.column_type, field.to_column_value(stored))

    def _flush_segment(self):
        self.perdocwriter.close()
        reader = self.per_document_reader() if self.codec.length_stats else None
        try:
            self.pool.write_to(self.fieldwriter, self.schema, reader)
        finally:
            if reader is not None:
                reader.close()
        self.fieldwriter.close()


class _PooledSubWriterTask(SubWriterTask):
    """Whoosh's worker process (SubWriterTask.run, multisegment), writing with
    `PooledSegmentWriter`."""

    def run(self):
        ix = self.storage.open_index(self.indexname)
        writer = self.writer = PooledSegmentWriter(ix, _lk=False, **self.kwargs)
        while self.running:
            jobinfo = self.jobqueue.get()
            if jobinfo is None:
                break
            self._process_file(*jobinfo)
        if not self.running:
            writer.cancel()
            return
        self.resultqueue.put((None, writer.pool.fieldnames, writer._finalize_segment()), timeout=5)


class MpSegmentWriter(MpWriter, PooledSegmentWriter):
    """Whoosh's multi-segment MpWriter: documents are pickled to worker processes in batches,
    and each worker writes a segment of its own with `PooledSegmentWriter`."""

    def __init__(self, ix, procs: int, **kwargs):
        super().__init__(ix, procs=procs, multisegment=True, **kwargs)
        # MpWriter.__init__ calls SegmentWriter.__init__ by name; the parent only batches
        # documents, so its pool holds postings only of segments merged at commit.
        self.pool = TermPostingPool()

    def _new_task(self):
        task = _PooledSubWriterTask(self.storage, self.indexname, self.jobqueue, self.resultqueue,
                                    self.subargs, True)
        self.tasks.append(task)
        task.start()
        return task


def segment_writer(ix, procs: int = 1, **kwargs) -> SegmentWriter:
    """A writer for `ix`: one process, or `procs` worker processes writing their own segments."""
    if procs > 1:
        return MpSegmentWriter(ix, procs=procs, **kwargs)
    return PooledSegmentWriter(ix, **kwargs)
