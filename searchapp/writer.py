"""Index writers that gather a segment's postings by term, in memory, instead of in Whoosh's pool.

Whoosh's `SegmentWriter` puts every posting into a `PostingPool` as a 5-tuple, sorts all of
them (spilling sorted runs to disk past `limitmb`, merging them back with a heap), and then
hands them, one Python call per posting, to the codec's field writer. Timing `searchapp
reindex` on 5,000 articles put half of the build in that commit (BENCHMARKS.md). Here
`TermPostingPool` files each posting under its field and term as it arrives (documents come
in order, so each term's postings are already sorted), and the segment is written term by
term: the term keys are sorted, not the postings, and a term's postings go to the codec's
posting writer a block at a time (`codec._InliningPostingsWriter.add_many`). The files are
Whoosh's own: the same codec writes them, and a test checks the postings against Whoosh's
writer (`tests/test_writer.py`).

The pool holds a segment's postings compactly (document numbers and weights in arrays, the
values of a term in one byte string) and has no disk runs, so its memory is bounded another
way: past `limitmb` a worker ends its segment and starts another (`MpSegmentWriter`).
"""

from __future__ import annotations

import queue
from array import array

from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import SegmentWriter

# Bytes a posting costs in the pool beyond its value, and a term beyond its postings (arrays
# and their entries in the dicts, arrays over-allocating), fitted to tracemalloc readings of
# the pool on 2,000 and 5,000 news articles.
POSTING_BYTES = 14
TERM_BYTES = 480


class _TermPostings:
    """One term's postings: document numbers, weights, and the values joined end to end."""

    __slots__ = ("ids", "weights", "values", "ends")

    def __init__(self):
        self.ids = array("I")
        self.weights = array("d")
        self.values = bytearray()
        self.ends = array("I")

    def value_list(self) -> list[bytes]:
        values, start, out = bytes(self.values), 0, []
        for end in self.ends:
            out.append(values[start:end])
            start = end
        return out


class TermPostingPool:
    """Stands in for Whoosh's `PostingPool` in a `SegmentWriter`: `add()` takes the same
    `(fieldname, btext, docnum, weight, vbytes)` items, `write_to()` writes them as a field
    writer's postings, in the order Whoosh's sorted pool gives them."""

    def __init__(self):
        self.fieldnames: set[str] = set()
        self._fields: dict[str, dict[bytes, _TermPostings]] = {}
        self._unordered: set[tuple[str, bytes]] = set()
        self.size = 0  # estimated bytes held

    def add(self, item) -> None:
        fieldname, btext, docnum, weight, vbytes = item
        terms = self._fields.get(fieldname)
        if terms is None:
            terms = self._fields[fieldname] = {}
            self.fieldnames.add(fieldname)
        postings = terms.get(btext)
        if postings is None:
            postings = terms[btext] = _TermPostings()
            self.size += TERM_BYTES + len(btext)
        elif docnum <= postings.ids[-1]:
            self._unordered.add((fieldname, btext))
        postings.ids.append(docnum)
        postings.weights.append(weight)
        if vbytes:
            postings.values += vbytes
            self.size += len(vbytes)
        postings.ends.append(len(postings.values))
        self.size += POSTING_BYTES

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

    def iter_postings(self):
        """Every posting as Whoosh's pool gives them: sorted by field, term, document."""
        for fieldname in sorted(self._fields):
            terms = self._fields[fieldname]
            for btext in sorted(terms):
                for docnum, weight, value in self._term_postings(fieldname, btext):
                    yield fieldname, btext, docnum, weight, value

    def _term_postings(self, fieldname: str, btext: bytes) -> list[tuple[int, float, bytes]]:
        postings = self._fields[fieldname][btext]
        items = list(zip(postings.ids, postings.weights, postings.value_list()))
        if (fieldname, btext) in self._unordered:
            items.sort()  # as Whoosh's pool sorts its tuples
        return items

    def write_to(self, fieldwriter, schema, perdoc_reader) -> None:
        """Write every field's terms and postings through a codec field writer."""
        for fieldname in sorted(self._fields):
            terms = self._fields[fieldname]
            fieldwriter.start_field(fieldname, schema[fieldname])
            lengths = _field_lengths(perdoc_reader, fieldname)
            for btext in sorted(terms):
                postings = terms[btext]
                if (fieldname, btext) in self._unordered:
                    ids, weights, values = (list(column) for column in zip(*self._term_postings(fieldname, btext)))
                else:
                    ids, weights, values = postings.ids, postings.weights, postings.value_list()
                _add_postings(fieldwriter, btext, ids, weights, values, lengths)
            fieldwriter.finish_field()

    def cleanup(self) -> None:
        self._fields.clear()
        self._unordered.clear()
        self.size = 0


def _add_postings(fieldwriter, btext: bytes, ids, weights, values, lengths) -> None:
    add_term = getattr(fieldwriter, "add_term", None)
    if add_term is not None:  # searchapp's codecs
        add_term(btext, ids, weights, values, lengths)
        return
    length_of = (lambda docnum: 0) if lengths is None else lengths.__getitem__ if isinstance(lengths, list) else lengths
    fieldwriter.start_term(btext)
    for docnum, weight, value in zip(ids, weights, values):
        fieldwriter.add(docnum, weight, value, length_of(docnum) or 0)
    fieldwriter.finish_term()


def _field_lengths(perdoc_reader, fieldname: str):
    """Every document's length of the field (a list, or a callable for other codecs' readers),
    or None when lengths are not kept."""
    if perdoc_reader is None:
        return None
    lengths = getattr(perdoc_reader, "_field_lengths", None)
    if lengths is not None:
        return lengths(fieldname)
    return lambda docnum: perdoc_reader.doc_field_length(docnum, fieldname)


class PooledSegmentWriter(SegmentWriter):
    """A SegmentWriter with `TermPostingPool` in place of Whoosh's posting pool."""

    def __init__(self, ix, **kwargs):
        super().__init__(ix, **kwargs)
        self.pool = TermPostingPool()

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

    def _add_field(self, fields: dict, fieldname: str, field, value, docboost: float) -> None:
        length, vbytes = 0, None
        if field.indexed:
            boost = self._field_boost(fields, fieldname, docboost)
            length, vbytes = self.pool.add_field(fieldname, self.docnum, field.index(value), boost, field.scorable)
        if field.separate_spelling():
            # Whoosh gives each spelling posting the value of the field's last posting (a
            # variable left over from its loop); kept, so that the files are Whoosh's own.
            spelling = self.pool.add
            for word in field.spellable_words(value):
                spelling((field.spelling_fieldname(fieldname), word.encode("utf-8"), 0, 1, vbytes))
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
    """Whoosh's worker process, writing with `PooledSegmentWriter`, and ending its segment to
    start another whenever its pool grows past `limitmb` (the pool keeps no runs on disk)."""

    def run(self):
        ix = self.storage.open_index(self.indexname)
        limit = self.kwargs.get("limitmb", 128) * 1024 * 1024
        segments = []
        self.writer = PooledSegmentWriter(ix, _lk=False, **self.kwargs)
        while self.running:
            jobinfo = self.jobqueue.get()
            if jobinfo is None:
                break
            self._process_file(*jobinfo)
            if self.writer.pool.size > limit:
                segments.append(self.writer._finalize_segment())
                self.writer = PooledSegmentWriter(ix, _lk=False, **self.kwargs)
        if not self.running:
            self.writer.cancel()
            return
        if self.writer.doc_count():
            segments.append(self.writer._finalize_segment())
        else:
            self.writer._close_segment()
        self.resultqueue.put((None, None, segments), timeout=5)


class MpSegmentWriter(MpWriter, PooledSegmentWriter):
    """Whoosh's multi-segment MpWriter: documents are pickled to worker processes in batches,
    and each worker writes segments of its own with `PooledSegmentWriter`."""

    def __init__(self, ix, procs: int, **kwargs):
        super().__init__(ix, procs=procs, multisegment=True, **kwargs)
        self.pool = TermPostingPool()  # MpWriter.__init__ calls SegmentWriter.__init__ by name

    def _new_task(self):
        task = _PooledSubWriterTask(self.storage, self.indexname, self.jobqueue, self.resultqueue,
                                    self.subargs, True)
        self.tasks.append(task)
        task.start()
        return task

    def _commit(self, mergetype, optimize, merge):
        # MpWriter._commit, taking a list of segments from each worker.
        if self.docbuffer:
            self._enqueue()
        for _task in self.tasks:
            self.jobqueue.put(None)
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        for task in self.tasks:
            task.join()
        for _task in self.tasks:
            try:
                finalsegments += self.resultqueue.get(timeout=1)[2]
            except queue.Empty:
                pass
        if self._added:
            finalsegments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(finalsegments)
        self._finish()


def segment_writer(ix, procs: int = 1, **kwargs) -> SegmentWriter:
    """A writer for `ix`: one process, or `procs` worker processes writing their own segments."""
    if procs > 1:
        return MpSegmentWriter(ix, procs=procs, **kwargs)
    return PooledSegmentWriter(ix, **kwargs)
