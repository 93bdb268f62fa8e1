"""The index format, pinned on a small committed index (tests/data/pinned-index/, see its README).

codec.py's docstring writes the split posting block down byte by byte. This test reads the
committed index's bytes by that description alone (struct, pickle and zlib here, not the
codec), searches the index through the current code, and rebuilds it from its articles to check
that the current writer writes the same postings. When the layout changes, these fail: raise
store.FORMAT_VERSION and regenerate the folder (its README), on purpose.
"""

from __future__ import annotations

import io
import json
import pickle
import shutil
import struct
import zlib
from array import array
from pathlib import Path

import pytest
from whoosh.filedb.filetables import OrderedHashReader
from whoosh.filedb.structfile import BufferFile

from searchapp.engines.whoosh import index, store
from searchapp.engines.whoosh.archive import Archive
from searchapp.params import parse_params

DATA = Path(__file__).parent / "data" / "pinned-index"
GENERATION = DATA / "gen-000001"
ARTICLES = DATA / "articles.jsonl"

# The layout of codec.py's docstring.
COMPOUND_HEAD = struct.Struct("!qi")  # the compound file's directory: offset, length
FIELD_NUMBER = struct.Struct("!H")
TERM_INFO = struct.Struct("!BfIBBfII")  # inlined, weight, doc freq, min/max length byte, max weight, first/last id
EXTENT = struct.Struct("!qi")  # the postings' offset and length in the .pst file
MAGIC = b"SaB2"
BLOCK_LENGTH = struct.Struct("!i")  # negative for the last block
HEAD_LENGTH = struct.Struct("!I")


def segment_files(generation: Path) -> dict[str, bytes]:
    """The files inside the generation's one compound segment file, by extension (trm, pst, ...)."""
    (segment,) = generation.glob("*.seg")
    raw = segment.read_bytes()
    offset, _length = COMPOUND_HEAD.unpack_from(raw)
    directory = pickle.loads(raw[offset:])
    return {name.split(".", 1)[1]: raw[entry["offset"]:entry["offset"] + entry["length"]]
            for name, entry in directory.items()}


class TermTable:
    """The segment's terms and postings, as codec.py's docstring lays them out."""

    def __init__(self, files: dict[str, bytes]):
        self.table = OrderedHashReader(BufferFile(files["trm"]), len(files["trm"]))
        self.fields = self.table.extras["fieldmap"]
        self.postings = files["pst"]

    def terms(self) -> list[tuple[str, bytes]]:
        names = {number: name for name, number in self.fields.items()}
        return [(names[FIELD_NUMBER.unpack(key[:2])[0]], key[2:]) for key in self.table.keys()]  # noqa: SIM118 (a HashReader)

    def term(self, fieldname: str, text: bytes) -> dict:
        """The term's info and postings: inlined, or every block parsed."""
        info = self.table[FIELD_NUMBER.pack(self.fields[fieldname]) + text]
        inlined, weight, df, minlength, maxlength, maxweight, first, last = TERM_INFO.unpack_from(info)
        term = {"stats": (weight, df, minlength, maxlength, maxweight, first, last)}
        rest = info[TERM_INFO.size:]
        if inlined:
            assert inlined == 1 and rest.startswith(b"\x80\x02")  # pickle protocol 2
            term["inlined"] = pickle.loads(rest)
            return term
        offset, length = EXTENT.unpack(rest)
        term["extent"] = (offset, length)
        term["blocks"] = parse_blocks(self.postings[offset:offset + length])
        return term


def parse_blocks(raw: bytes) -> list[dict]:
    """A term's postings: the magic, then blocks until the one of negative length."""
    assert raw[:4] == MAGIC
    blocks, at, last = [], 4, False
    while not last:
        (length,) = BLOCK_LENGTH.unpack_from(raw, at)
        last = length < 0
        end = at + BLOCK_LENGTH.size + abs(length)
        data = raw[at + BLOCK_LENGTH.size:end]
        assert data.startswith(b"\x80\x02")  # the info: pickle protocol 2
        stream = io.BytesIO(data)
        info = pickle.load(stream)
        headstart = stream.tell()  # where the info's pickle ends
        (headlength,) = HEAD_LENGTH.unpack_from(data, headstart)
        head = data[headstart + HEAD_LENGTH.size:headstart + HEAD_LENGTH.size + headlength]
        assert head.startswith(b"\x80\x02")
        compressed = data[headstart + HEAD_LENGTH.size + headlength:]
        compression = info[3]  # (count, last id, max weight, compression, min and max length byte)
        values = zlib.decompress(compressed) if compression else compressed
        assert values.startswith(b"\x80\x05")  # pickle protocol 5
        ids, weights = pickle.loads(head)
        blocks.append({"last": last, "info": info, "infobytes": data[:headstart], "head": head,
                       "ids": ids, "weights": weights, "values": pickle.loads(values), "valuebytes": values})
        at = end
    assert at == len(raw)  # the blocks fill the term's extent exactly
    return blocks


def packed(value: bytes, share: int) -> list[tuple[int, ...]]:
    """A packed posting value: n positions, then (share 3) n start and n end characters, each
    an unsigned 32-bit little-endian integer."""
    numbers = array("I")
    numbers.frombytes(value)
    assert numbers.itemsize == 4
    if struct.pack("=I", 1) != struct.pack("<I", 1):  # pragma: no cover - big-endian machines
        numbers.byteswap()
    n = len(numbers) // share
    assert n * share == len(numbers)
    return list(zip(*(numbers[k * n:(k + 1) * n].tolist() for k in range(share))))


def gaps_summed(gaps) -> list[int]:
    ids, total = [], 0
    for gap in gaps:
        total += gap
        ids.append(total)
    return ids


@pytest.fixture(scope="module")
def committed() -> TermTable:
    return TermTable(segment_files(GENERATION))


@pytest.fixture(scope="module")
def bodies() -> list[str]:
    """The articles' texts, by segment document number (the order of the file)."""
    return [json.loads(line)["text"] for line in ARTICLES.read_text(encoding="utf-8").splitlines()]


def test_the_committed_index_is_of_the_current_format_version():
    assert (GENERATION / store.FORMAT_FILE).read_text(encoding="ascii") == f"{store.FORMAT_VERSION}\n"
    assert store.FORMAT_VERSION == 3, "a new format version: regenerate tests/data/pinned-index (README)"
    assert sum(f.stat().st_size for f in GENERATION.iterdir()) < 40_000


def test_a_body_terms_block_decodes_by_the_documented_layout(committed, bodies):
    """`soldat` in the body: three articles, one block; gaps, three different weights, and the
    positions and characters of each occurrence, packed."""
    term = committed.term("body", b"soldat")
    weight, df, minlength, maxlength, maxweight, first, last = term["stats"]
    assert (weight, df, maxweight, first, last) == (6.0, 3, 3.0, 0, 2)
    (block,) = term["blocks"]
    assert block["last"]
    assert block["info"] == (3, 2, 3.0, 3, minlength, maxlength)  # count, last id, max weight, zlib level 3
    assert block["ids"] == (0, 1, 1)  # the first number, then gaps
    assert block["weights"] == (2.0, 1.0, 3.0)  # frequencies (the body's boost is 1)
    occurrences = [packed(value, share=3) for value in block["values"]]
    assert occurrences == [[(0, 0, 8), (6, 68, 75)], [(9, 83, 93)], [(3, 16, 23), (12, 104, 112), (13, 114, 124)]]
    words = [[bodies[doc][start:end] for _position, start, end in spots]
             for doc, spots in zip(gaps_summed(block["ids"]), occurrences)]
    assert words == [["Soldații", "soldați"], ["soldaților"], ["soldați", "soldații", "Soldaților"]]
    assert [len(spots) for spots in occurrences] == list(block["weights"])


def test_the_other_kinds_of_values_decode_by_the_documented_layout(committed, bodies):
    title = committed.term("title", b"guvern")["blocks"]
    assert [(b["ids"], b["weights"], [packed(v, share=1) for v in b["values"]]) for b in title] == [
        ((1, 1), 2.0, [[(0,)], [(0,)]])]  # one weight for all (the title's boost 2), the first word
    exact = committed.term("exact", b"guvernul|Guvernul")["blocks"]
    assert [(b["ids"], b["weights"], b["values"]) for b in exact] == [((1, 1), 2.0, struct.pack("!II", 2, 2))]
    dated = committed.term("dated", b"\x04\x00")["blocks"]  # an Existence field: no values
    assert [(b["ids"], b["weights"], b["values"]) for b in dated] == [((0, 1, 1), None, None)]
    inlined = committed.term("body", b"ministru")
    ids, weights, (value,) = inlined["inlined"]
    assert (ids, weights) == ((2,), (1.0,))
    ((position, start, end),) = packed(value, share=3)
    assert (position, bodies[2][start:end]) == (10, "ministru")


def test_every_term_of_the_committed_index_follows_the_layout(committed):
    blocks = 0
    for fieldname, text in committed.terms():
        term = committed.term(fieldname, text)
        _weight, df, _minlength, _maxlength, _maxweight, first, last = term["stats"]
        if "inlined" in term:
            ids, _weights, _values = term["inlined"]
            assert (len(ids), ids[0], ids[-1]) == (df, first, last)
            continue
        ids = [doc for block in term["blocks"] for doc in gaps_summed(block["ids"])]
        assert (len(ids), ids[0], ids[-1]) == (df, first, last)
        assert sum(block["info"][0] for block in term["blocks"]) == df
        blocks += len(term["blocks"])
    assert blocks >= 5


def test_the_current_writer_writes_the_committed_postings(tmp_path, committed):
    """The same articles, indexed now: the same terms, term statistics and block contents (the
    compressed bytes aside: another zlib may compress differently)."""
    index.rebuild(tmp_path / "ix", [ARTICLES], procs=1)
    rebuilt = TermTable(segment_files(store.current_generation(tmp_path / "ix")))
    assert sorted(rebuilt.terms()) == sorted(committed.terms())
    for fieldname, text in committed.terms():
        theirs, ours = committed.term(fieldname, text), rebuilt.term(fieldname, text)
        assert ours["stats"] == theirs["stats"] and ours.get("inlined") == theirs.get("inlined"), (fieldname, text)
        sections = ("last", "infobytes", "head", "valuebytes")
        assert [[b[s] for s in sections] for b in ours.get("blocks", [])] == \
            [[b[s] for s in sections] for b in theirs.get("blocks", [])], (fieldname, text)


@pytest.fixture
def archive(tmp_path) -> Archive:
    """The committed generation, copied into an index folder of its own."""
    folder = tmp_path / "ix"
    shutil.copytree(GENERATION, folder / GENERATION.name)
    (folder / store.CURRENT).symlink_to(GENERATION.name)
    return Archive(folder)


def _hits(archive: Archive, q: str) -> list[tuple[str, str]]:
    result = archive.search(parse_params({"q": q}))
    return [(hit.id, hit.snippet) for hit in result.hits]


def test_a_search_of_the_committed_index_finds_its_articles_with_their_snippets(archive):
    assert _hits(archive, '"soldații soldaților"') == [
        ("pin-3", "lângă Iași. Guvernul a trimis un ministru să vadă <mark>soldații</mark>. <mark>Soldaților</mark> li s-au dat")]
    assert _hits(archive, "guvernul") == [
        ("pin-2", "<mark>Guvernul</mark> a discutat bugetul pe anul viitor. Ministrul apărării a"),
        ("pin-3", ("sută de soldați au participat la un exercițiu lângă Iași. <mark>Guvernul</mark> a trimis un "
                   "ministru să vadă soldații. Soldaților li s-au"))]
    assert _hits(archive, "ministru") == [
        ("pin-3", "la un exercițiu lângă Iași. Guvernul a trimis un <mark>ministru</mark> să vadă soldații. Soldaților li s-au dat")]
    marked = {doc: _marks(snippet) for doc, snippet in _hits(archive, "soldați")}
    assert marked == {"pin-1": ["Soldații", "soldați"], "pin-2": ["soldaților"],
                      "pin-3": ["soldați", "soldații", "Soldaților"]}


def _marks(snippet: str) -> list[str]:
    return [part.split("</mark>")[0] for part in snippet.split("<mark>")[1:]]
