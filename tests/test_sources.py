"""Reading sources: the real seeds, bulk JSONL, and every kind of bad input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from searchapp.cleaning import clean_text, strip_furniture
from searchapp.errors import SourceError
from searchapp.sources import ReadReport, first_sentence_title, read_articles, read_jsonl

from .conftest import SEEDS, corpus_path


def read(*sources) -> tuple[dict, ReadReport]:
    report = ReadReport()
    articles = {a.id: a for a in read_articles([Path(s) for s in sources], report)}
    return articles, report


@pytest.fixture(scope="module")
def seeds():
    articles, report = read(SEEDS)
    assert report.problems == []
    return articles


def test_seed_ids_dates_and_undated(seeds):
    assert sorted(seeds) == [p.stem for p in sorted(SEEDS.glob("*.txt"))]
    assert seeds["000_bba8654fe1fb9b3b"].date == "2026-01-09"
    assert seeds["001_1cc27a957bb943bb"].date == "2025-08-15"
    assert seeds["003_719bcf90d0d11112"].date is None
    assert seeds["004_ae5b814a1d694bd7"].date is None


def test_date_header_is_not_article_text(seeds):
    assert seeds["000_bba8654fe1fb9b3b"].text.startswith("Liderul nord-coreean")
    assert "date 2026" not in seeds["000_bba8654fe1fb9b3b"].text


def test_headline_carried_by_the_text_becomes_the_title(seeds):
    article = seeds["003_719bcf90d0d11112"]
    assert article.title == "Vladimir Putin, scrisoare pentru pentru Kim Jong Un: relațiile bilaterale vor fi extinse"
    assert article.title not in article.text


def test_title_falls_back_to_the_first_sentence_cut_at_a_word(seeds):
    title = seeds["002_ccc367ce25698c12"].title
    assert title.startswith("Preşedintele rus Vladimir Putin se va întâlni luni")
    assert len(title) <= 122 and title.endswith(" …")
    assert seeds["002_ccc367ce25698c12"].text.startswith(title[:-2])


@pytest.mark.parametrize(
    "article_id, furniture",
    [
        ("003_719bcf90d0d11112", ["Explorează subiectul", "Articole Similare", "Zelenski", "Sarajevo", "2.095", "Comentează"]),
        ("004_ae5b814a1d694bd7", ["Distribuie pe Facebook", "viewscnt", "Google News", "abonamente@news.ro", "republicarea"]),
    ],
)
def test_page_furniture_is_stripped_from_the_real_seeds(seeds, article_id, furniture):
    text = seeds[article_id].text
    for piece in furniture:
        assert piece not in text
    assert text.rstrip().endswith(".")


def test_article_text_around_furniture_is_kept(seeds):
    text = seeds["004_ae5b814a1d694bd7"].text
    assert "Phenianul a trimis în războiul de invazie" in text
    assert "furnituri alimentare şi de energie, potrivit unor analişti." in text


def test_related_headlines_with_counters_are_dropped():
    text = "Articol adevărat.\nTitlul articolului\nArticole Similare\n\n22\nAlt titlu\n22\n"
    body, headline = strip_furniture(text)
    assert body == "Articol adevărat."
    assert headline == "Titlul articolului"


SHARED_BOILERPLATE = [  # lines hundreds of the news corpus's articles share (QUALITY.md, "Clean sources")
    "Pentru cele mai importante ştiri ale zilei, transmise în timp real şi prezentate echidistant, "
    "daţi LIKE paginii noastre de Facebook!",
    "Dacă ţi-a plăcut articolul, urmăreşte MEDIAFAX.RO pe FACEBOOK »",
    "Te-ar putea interesa și:",
    "VREI SĂ CITEŞTI ACEST ARTICOL? Pentru a citi tot articolul, intră în contul tău.",
    "ZF Corporate este serviciul specializat de ştiri cu plată al Ziarului Financiar.",
    "Citiţi în continuare pe ZF Corporate:",
    "WikiZF: Profilul companiei Romgaz",
    "Cursul valutar BNR. Vedeţi aici evoluţia principalelor valute la cursul oficial BNR",
    "ado.slave('adoceanroxfrqmwsnpj', {myMaster: '1oHhmeO3rJcK53Hpq' });",
    "/* (c)AdOcean 2003-2017, SomaSocial_ro.stiripesurse.ro.@ Article Placements.In Article SPS */",
    "Setarile tale privind cookie-urile nu permit afisarea continutul din aceasta sectiune.",
    "PUBLICITATE Mii de mărci și stiluri de top pentru un stil de vară excepțional",
    "Recomandări De unde vine explozia de șoferi depistați „drogați la volan”",
    "GSP.RO În România avea un job bun, dar în 1983 a decis să fugă în SUA",
    "Știrileprotv.ro Nouă descoperire macabră după secarea Lacului Mead din SUA.",
    "HOROSCOP Horoscop 9 august 2022. Fecioarele au mintea mai limpede astăzi.",
]
NOT_BOILERPLATE = [  # the same openings in an article's own sentences
    "Pentru cele mai importante decizii ale zilei, Guvernul s-a reunit de urgență.",
    "Recomandări pentru turiști: evitați deplasările în orele de vârf.",
    "Recomandări ZF",
    "HOROSCOP 26 februarie 2020",
    "HOROSCOP BERBEC – copiii care au mămici în zodia berbec dobândesc ambiția.",
    "Publicitate negativă: firma a pierdut clienți după campanie.",
    "Te-ar putea interesa și ce spun economiștii despre inflație.",
]


@pytest.mark.parametrize("line", SHARED_BOILERPLATE)
def test_shared_boilerplate_lines_go(line):
    body = "Primul paragraf al articolului.\nAl doilea paragraf."
    assert strip_furniture(f"Primul paragraf al articolului.\n{line}\nAl doilea paragraf.")[0] == body


@pytest.mark.parametrize("line", NOT_BOILERPLATE)
def test_article_sentences_that_open_like_boilerplate_stay(line):
    text = f"Primul paragraf al articolului.\n{line}\nAl doilea paragraf."
    assert strip_furniture(text)[0] == text


def test_a_paragraph_printed_twice_is_kept_once():
    """Some pages print the lead again as the body's first paragraph, or further down; short
    lines ("Foto: ...") may repeat on purpose and stay."""
    lead = "Acțiunile Băncii Transilvania au deschis ședința de tranzacționare în creștere."
    other = "Al doilea paragraf, diferit de primul, rămâne unde era."
    body, _ = strip_furniture(f"{lead}\n{lead}\n{other}\nFoto: Agerpres\n\n{lead}\nFoto: Agerpres")
    assert body == f"{lead}\n{other}\nFoto: Agerpres\n\nFoto: Agerpres"
    # A lead that opens a fuller paragraph further down leaves the top: the fuller copy stays.
    fuller = f"{lead} La adunare au participat doar 8,1% din acționari."
    body, _ = strip_furniture(f"{lead}\n\n{fuller}\n{other}")
    assert body == f"{fuller}\n{other}"
    # A short first line, or a lead said once, stays where it is.
    assert strip_furniture(f"Pe scurt\n{other}\nPe scurt")[0] == f"Pe scurt\n{other}\nPe scurt"
    assert strip_furniture(f"{lead}\n{other}")[0] == f"{lead}\n{other}"


@pytest.mark.corpus
def test_corpus_leads_printed_twice_come_out_once(tmp_path):
    """Two news-corpus articles: one repeats its lead at once, the other as the start of its
    next paragraph."""
    wanted = {"zfa-15395699", "zfa-13733656"}
    picked = tmp_path / "picked.jsonl"
    with gzip.open(corpus_path("ro-news.jsonl.gz"), "rt", encoding="utf-8") as lines, \
            open(picked, "w", encoding="utf-8") as out:
        out.writelines(line for line in lines if json.loads(line)["id"] in wanted)
    articles, _ = read(picked)
    assert set(articles) == wanted
    for article in articles.values():
        lead = article.text.split("\n")[0][:100]
        assert len(lead) >= 40 and article.text.count(lead) == 1


def test_web_debris_is_cleaned():
    assert clean_text("&amp;icirc;n &amp;nbsp;Rom&acirc;nia") == "în România"
    assert clean_text("ran\u00addamente") == "randamente"
    assert clean_text("a\u0306") == "ă"
    assert clean_text("<b>tag</b> stays text") == "<b>tag</b> stays text"


def test_first_sentence_title():
    assert first_sentence_title("Prima frază. A doua frază.") == "Prima frază."
    long = "cuvânt " * 40
    title = first_sentence_title(long)
    assert title.endswith(" …") and len(title) <= 122 and "cuvân …" not in title


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def test_impossible_date_is_repaired_as_undated(tmp_path):
    write(tmp_path, "x.txt", b"date 2025-13-45 Un articol despre ceva.")
    articles, report = read(tmp_path)
    assert articles["x"].date is None
    assert articles["x"].text == "Un articol despre ceva."
    assert [p.skipped for p in report.problems] == [False]
    assert "2025-13-45" in str(report.problems[0])


@pytest.mark.parametrize("encoding", ["cp1250", "iso-8859-2"])
def test_legacy_romanian_encodings_are_decoded(tmp_path, encoding):
    write(tmp_path, "legacy.txt", "Ştiri din ţară: şcoala şi ţăranii.".encode(encoding))
    articles, report = read(tmp_path)
    assert "ţară" in articles["legacy"].text
    assert "not UTF-8" in str(report.problems[0])


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("empty.txt", b"", "no article text"),
        ("blank.txt", b"  \n\n  ", "no article text"),
        ("only-date.txt", b"date 2025-01-01\n", "no article text"),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ],
)
def test_bad_files_are_skipped_with_a_reason_and_the_rest_indexed(tmp_path, name, data, reason):
    write(tmp_path, "good.txt", "Un articol bun.".encode())
    write(tmp_path, name, data)
    articles, report = read(tmp_path)
    assert list(articles) == ["good"]
    assert len(report.skipped) == 1 and reason in str(report.skipped[0])


def test_jsonl_lines_malformed_missing_fields_and_duplicates(tmp_path):
    lines = [
        json.dumps({"id": "a", "text": "Primul articol.", "title": "Titlul A", "date": "2024-02-29", "url": "https://x.ro/a"}),
        "{not json",
        json.dumps({"text": "fără id"}),
        json.dumps({"id": "b", "text": "Al doilea.", "date": "2023-02-29"}),
        json.dumps({"id": "a", "text": "Duplicat."}),
        json.dumps(["not", "an", "object"]),
    ]
    write(tmp_path, "bulk.jsonl", "\n".join(lines).encode())
    articles, report = read(tmp_path)
    assert sorted(articles) == ["a", "b"]
    assert articles["a"].title == "Titlul A" and articles["a"].date == "2024-02-29"
    assert articles["a"].url == "https://x.ro/a"
    assert articles["b"].date is None and articles["b"].title == "Al doilea."
    reasons = [str(p) for p in report.problems]
    assert any("bulk.jsonl:2" in r and "malformed JSON" in r for r in reasons)
    assert any("bulk.jsonl:3" in r and '"id"' in r for r in reasons)
    assert any("bulk.jsonl:4" in r and "2023-02-29" in r for r in reasons)
    assert any("duplicate id 'a'" in r for r in reasons)
    assert any("bulk.jsonl:6" in r for r in reasons)


def test_jsonl_gz_is_streamed_line_by_line(tmp_path):
    path = tmp_path / "bulk.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for i in range(3):
            f.write(json.dumps({"id": f"n{i}", "text": f"Articolul numărul {i}."}) + "\n")
        f.write("{broken\n")
    report = ReadReport()
    stream = read_jsonl(path, report)
    first = next(stream)  # a generator: the first article arrives before the file is read through
    assert first.id == "n0" and report.problems == []
    assert [a.id for a in stream] == ["n1", "n2"]
    assert "bulk.jsonl.gz:4" in str(report.problems[0])


def test_truncated_gzip_is_reported_not_fatal(tmp_path):
    data = gzip.compress(b'{"id": "z", "text": "Un text destul de lung pentru test."}\n' * 50)
    write(tmp_path, "cut.jsonl.gz", data[: len(data) // 2])
    write(tmp_path, "ok.txt", "Alt articol.".encode())
    articles, report = read(tmp_path)
    assert "ok" in articles
    assert any("cut.jsonl.gz" in str(p) for p in report.skipped)


def test_missing_source_is_a_clear_error(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        read(tmp_path / "nope")


def test_symlink_loop_is_skipped(tmp_path):
    (tmp_path / "loop.txt").symlink_to(tmp_path / "loop.txt")
    write(tmp_path, "ok.txt", "Un articol.".encode())
    articles, report = read(tmp_path)
    assert list(articles) == ["ok"]
    assert "loop.txt" in str(report.skipped[0])


# --- clean sources (issue 18): mojibake, "Citește și" links, JSONL in legacy encodings -------

# Short excerpts of real corpus articles (their ids), garbled as they are there.
MOJIBAKE = [
    # zfa-15538392, Mac Roman
    ("Agen≈£ia americanƒÉ de evaluare financiarƒÉ Fitch Ratings", "Agenţia americană de evaluare financiară Fitch Ratings"),
    ("Preluarea В«Г®n cursВ» a Bancpost", "Preluarea «în curs» a Bancpost"),  # zfa-16637830, cp1251
    ("Un numÄ\x83r de 15 creditori", "Un număr de 15 creditori"),  # zfa-16166237, cp1252 / Latin-1
    # zfa-20336390, cp1252
    ("â€žConceptul Kids in Business este menit sÄƒ le dezvolte", "„Conceptul Kids in Business este menit să le dezvolte"),
    ("√éntr-un an √Æn care businessul", "Într-un an în care businessul"),  # zfa-20317486
]
CLEAN_ROMANIAN = [
    "că a accentuat această imagine «deformată»“, a spus Codruţ Pascu",  # zfa-13109925: ftfy alone breaks it
    "Ştefan şi Ţara „noastră” – ţări, soldaţi, ÎNTÂMPLARE",
    "Президент Владимир Путин a declarat",
    "Müller și Ærø, 25 °C, 3 €",
]


@pytest.mark.parametrize("garbled, repaired", MOJIBAKE)
def test_mojibake_is_repaired(garbled, repaired):
    assert clean_text(garbled) == repaired
    assert clean_text(f"{repaired}\n{garbled}") == f"{repaired}\n{repaired}"  # line by line


@pytest.mark.parametrize("text", CLEAN_ROMANIAN)
def test_clean_romanian_text_is_left_as_it_is(text):
    assert clean_text(text) == text


# (garbled line, what stays); real lines of the corpus, shortened.
RELATED_LINKS = [
    # inline, after a sentence, with a colon (fn-adevarul-aa7a169026)
    ("a declarat Tăriceanu, referindu-se la foştii săi colegi de partid. Vezi şi: Marea racolare. PNL a dat startul "
     "traseismului pentru locale",
     "a declarat Tăriceanu, referindu-se la foştii săi colegi de partid."),
    # on its own line (zfa-19722472, fn-stiripesurse-c163285b81, fn-informateca-483e4b9174)
    ("Citeşte şi:  DESCHIDEREA DE ASTĂZI. Cum va merge bursa. O discuţie cu Christina Verchere, CEO OMV", ""),
    ("Vezi și: Victor Ponta recunoaște că se află în spatele PRU: Ce strategie a pus la cale", ""),
    ("Citiți și\u00a0Se scumpește RCA-ul pentru mașini cu motoare mari", ""),
    ("Vezi si: Lovitura fatală pentru Tăriceanu? .", ""),
    ("Citește și..", ""),  # fn-gandulinfo-61ca8ef3f9
    # after a word, with a colon and a headline (fn-stiripesurse-16a8f5bdb8, fn-ziarecom-e5fde3edef)
    ("dosar penal, după denunţul unui jurnalist Vezi şi:\u00a0Deputat PSD, ATAC dur la Rareş Bogdan",
     "dosar penal, după denunţul unui jurnalist"),
    ("transmite News.ro.Citeste si Motiune in Parlament impotriva Guvernului Grindeanu", "transmite News.ro."),
    # dcnews's placeholder and time stamp; the article goes on after it (fn-dcnews-0fd2089806)
    ("procurorului șef al DNA. [citeste si] 05 Martie, 14:33 Printre lucrurile pe care ministrul i le-a reproșat",
     "procurorului șef al DNA. Printre lucrurile pe care ministrul i le-a reproșat"),
    # pasted into a long paragraph: the headline up to its sentence end goes, the article stays
    ("scrie agerpres.ro. Citește și: Afacerea care a ÎNCINS spiritele în PSD! Întâlnirea a avut loc joi când Meghan "
     "Markle a fost invitată să ia ceaiul împreună cu prințul Harry la Palatul Buckingham, potrivit presei britanice, "
     "care a mai scris că vizita a durat două ore și că a fost una privată.",
     "scrie agerpres.ro. Întâlnirea a avut loc joi când Meghan Markle a fost invitată să ia ceaiul împreună cu prințul "
     "Harry la Palatul Buckingham, potrivit presei britanice, care a mai scris că vizita a durat două ore și că a fost "
     "una privată."),
]
# The same words in the article's own sentences (corpus lines: rnad-libertatea-0245,
# fn-notabn-002aa125bb, fn-notabn-f503d49007, zfa-19877182) and the example.
PROSE = [
    "Vezi și tu ce a spus ministrul despre buget.",
    "Vezi și comentariul VIDEO:",
    "Vezi şi beneficiile grădinăritului asupra sănătății!",
    "eculatiile pe piețele monetare (lista e lungă – mai citiți și voi, nu vă dau eu mură în gură!)",
    "6 Vezi şi L. Voinea, „The post-crisis Phillips Curve and its Implications”, SUERF Policy Note",
    "Dacă vreți, citiți și raportul complet. Vezi și capitolul trei.",
    "„Citeşte acolo! Citeşte şi mie, arată ce-i greşit”, îi spune elevul",  # fn-puterea-89710eab1e
    "Când vezi şi: ce, cum, cât",
]


@pytest.mark.parametrize("line, kept", RELATED_LINKS)
def test_related_article_links_are_stripped(line, kept):
    text = f"Primul paragraf al articolului.\n{line}\nUltimul paragraf."
    body, _ = strip_furniture(text)
    assert body == "\n".join(p for p in ["Primul paragraf al articolului.", kept, "Ultimul paragraf."] if p)


@pytest.mark.parametrize("line", PROSE)
def test_the_same_words_in_the_articles_own_sentences_stay(line):
    assert strip_furniture(f"Început.\n{line}\nSfârșit.")[0] == f"Început.\n{line}\nSfârșit."


def test_a_marker_on_its_own_line_takes_its_headlines_not_the_article():
    """zfa-14748437: "Citeşte şi", two headlines, then the article goes on (it used to be cut)."""
    text = ("Primul paragraf.\nCiteşte şi\nAdministratorii Electrica ţin cu dinţii de „salariul“ de 3.000 de euro\n\n"
            "Acţiunile celui mai temut oponent al lui Templeton sunt executate silit pe bursă\n"
            "„Sunt mai multe aspecte care ar justifica o astfel de cerinţă“, spune Mihai Căruntu, analist în cadrul BCR.\n"
            "CITIȚI ȘI:")
    body, _ = strip_furniture(text)
    assert body == ("Primul paragraf.\n„Sunt mai multe aspecte care ar justifica o astfel de cerinţă“, spune Mihai "
                    "Căruntu, analist în cadrul BCR.")


def _jsonl_bytes(records: list[dict], encoding: str) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode(encoding) + b"\n" for r in records)


@pytest.mark.parametrize("encoding", ["cp1250", "iso-8859-2"])
def test_jsonl_lines_in_a_legacy_encoding_are_re_decoded_and_said_so(tmp_path, encoding):
    """cp1250 is tried first; it agrees with ISO-8859-2 on every Romanian letter."""
    source = tmp_path / "ploi.jsonl"
    source.write_bytes(
        _jsonl_bytes([{"id": "u", "text": "Vremea în România: soare."}], "utf-8")
        + _jsonl_bytes([{"id": "a", "text": "Ploi torenţiale în Iaşi."},
                        {"id": "b", "text": "Ţăranii din Bârlad."}], encoding))
    articles, report = read(source)
    assert articles["a"].text == "Ploi torenţiale în Iaşi." and articles["b"].text == "Ţăranii din Bârlad."
    assert [str(p) for p in report.problems] == [f"{source}: repaired: 2 lines not UTF-8; re-decoded from cp1250"]


def test_an_undecodable_jsonl_line_is_skipped_with_its_number(tmp_path):
    source = tmp_path / "mixed.jsonl.gz"
    good = _jsonl_bytes([{"id": "a", "text": "Un articol bun."}], "utf-8")
    with gzip.open(source, "wb") as handle:
        handle.write(good + b'{"id": "b", "text": "\x81\x8d\x8f\x90\x9d abc"}\n')
    articles, report = read(source)
    assert list(articles) == ["a"]
    assert [str(p) for p in report.problems] == [
        f"{source}:2: skipped: not UTF-8, cp1250 or ISO-8859-2 text; save the file as UTF-8"]
    assert all("\ufffd" not in a.text for a in articles.values())


def test_a_binary_jsonl_file_is_skipped_whole(tmp_path):
    source = tmp_path / "image.jsonl"
    source.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    articles, report = read(source)
    assert articles == {}
    assert [str(p) for p in report.problems] == [f"{source}: skipped: binary file (NUL bytes), not JSON lines"]


CORPUS_CASES = {
    "zfa-15538392": ("Agenţia americană de evaluare financiară", "≈£"),
    "zfa-16637830": ("contexul actual în care mai multe", "Г®n"),  # word by word: `profitДғ` stays
    "fn-adevarul-aa7a169026": ("referindu-se la foştii săi colegi de partid.", "Marea racolare"),
    "zfa-14748437": ("Mihai Căruntu, analist în cadrul BCR", "Administratorii Electrica ţin cu dinţii"),
}


@pytest.mark.corpus
def test_corpus_articles_come_out_clean(tmp_path):
    corpus = corpus_path("ro-news.jsonl.gz")
    picked = tmp_path / "picked.jsonl"
    with gzip.open(corpus, "rt", encoding="utf-8") as lines, open(picked, "w", encoding="utf-8") as out:
        out.writelines(line for line in lines if json.loads(line)["id"] in CORPUS_CASES)
    articles, _ = read(picked)
    assert set(articles) == set(CORPUS_CASES)
    for article_id, (kept, gone) in CORPUS_CASES.items():
        assert kept in articles[article_id].text and gone not in articles[article_id].text
