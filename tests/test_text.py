"""The text model: tokeniser, tagger, term extraction on hand-labelled sentences, documents in,
mentions with the common-word rule, top terms on a pinned corpus, vectors, CLI."""

from __future__ import annotations

import gzip
import json

import pytest
from typer.testing import CliRunner

from tastemaker.cli import app
from tastemaker.config import TextParams
from tastemaker.ingest import ingest_catalog
from tastemaker.text.documents import ingest_documents
from tastemaker.text.html import main_text
from tastemaker.text.mentions import Matcher
from tastemaker.text.model import TextVectors, analyse, build_comentions, build_terms
from tastemaker.text.sources import strip_review_boilerplate
from tastemaker.text.tagger import load_tagger
from tastemaker.text.terms import extract
from tastemaker.text.tokenize import fold, sentences, tokens
from tastemaker.text.top import format_table, top_terms
from tastemaker.engine import DuckDBEngine
from tests.conftest import shared_data


@pytest.fixture(scope="module")
def tagger():
    return load_tagger()


def test_tokens_and_fold():
    assert tokens("They don't play synth-pop.") == ["They", "do", "n't", "play", "synth-pop", "."]
    assert fold("Björk & the Sugarcubes") == "bjork and the sugarcubes"
    assert fold("AC/DC") == fold("ac dc".replace(" ", "")) == "acdc"
    assert sentences("In June 2009.Drake released it. Then more") == ["In June 2009.", "Drake released it.",
                                                                      "Then more"]
    words = " ".join(["word"] * 200)
    assert max(len(s.split()) for s in sentences(words)) == 40      # unpunctuated speech is chunked


# hand-labelled sentences about music: (sentence, noun phrases, adjectives)
LABELLED = [
    ("ABBA were a perky Swedish pop band.", {"abba", "perky swedish pop band"}, {"perky", "swedish"}),
    ("The album has a dark, gloomy atmosphere and heavy guitars.",
     {"album", "gloomy atmosphere", "heavy guitars"}, {"dark", "gloomy", "heavy"}),
    ("Her new single is a catchy dance track.", {"single", "catchy dance track"}, {"catchy"}),
    ("The band released their debut album in 1979.", {"band", "debut album", "1979"}, set()),
    ("This is a beautiful and melancholic record.", {"record"}, {"beautiful", "melancholic"}),
]


def test_noun_phrases_and_adjectives(tagger):
    """Precision and recall over the hand-labelled sentences (the tagger makes a rare mistake,
    e.g. "dark," before a comma as a noun)."""
    tp_np = fp_np = fn_np = tp_adj = fp_adj = fn_adj = 0
    for sentence, nps, adjs in LABELLED:
        got = extract(sentence, tagger=tagger)
        got_np, got_adj = set(got["np"]), set(got["adj"])
        assert "the" not in " ".join(got_np).split()                 # determiners left out
        tp_np += len(got_np & nps)
        fp_np += len(got_np - nps)
        fn_np += len(nps - got_np)
        tp_adj += len(got_adj & adjs)
        fp_adj += len(got_adj - adjs)
        fn_adj += len(adjs - got_adj)
    assert tp_adj / (tp_adj + fn_adj) >= 0.85 and tp_adj / (tp_adj + fp_adj) >= 0.9
    assert tp_np / (tp_np + fn_np) >= 0.75 and tp_np / (tp_np + fp_np) >= 0.7
    got = extract("ABBA were a perky Swedish pop band.", tagger=tagger)
    assert set(got["np"]) == {"abba", "perky swedish pop band"} and set(got["adj"]) == {"perky", "swedish"}


def test_bigrams_skip_stop_words_and_punctuation(tagger):
    got = extract("Dancing Queen, the song of the disco era; swedish pop forever.", tagger=tagger)
    assert {"dancing queen", "disco era", "swedish pop"} <= set(got["n2"])
    assert not any(w in {"the", "of"} for b in got["n2"] for w in b.split())
    assert "queen the" not in got["n2"]                              # not across the comma


def test_tagger_tags_music_sentence(tagger):
    assert tagger.tag(["a", "perky", "swedish", "pop", "band"]) == ["DET", "ADJ", "ADJ", "NOUN", "NOUN"]


def test_tagger_accuracy_on_ewt_test(tagger):
    from tastemaker.text.train_tagger import read_conllu
    test = read_conllu(shared_data("ud-english") / "en_ewt-ud-test.conllu.gz")
    assert tagger.accuracy(test[:600]) >= 0.93
    assert tagger.meta["accuracy"] >= 0.94                           # recorded when trained


def test_html_main_text_survives_broken_markup():
    page = main_text("<html><head><title>Air</title><meta name='date' content='2020-05-01'></head>"
                     "<nav>Home | Blog | About us here</nav><script>var x = 1;</script>"
                     "<p>Air are a <b>dreamy</b> French duo.<p>Unclosed <div>tags everywhere</span> "
                     "still read fine.")
    assert page.title == "Air" and page.published_at == "2020-05-01"
    assert "dreamy French duo" in page.text and "Home" not in page.text and "var x" not in page.text


def test_common_word_artists_need_context(tagger):
    m = Matcher({0: "Yes", 1: "Air", 2: "Depeche Mode", 3: "The Cure"}, {10: (0, "Roundabout")})

    def find(text, **kw):
        from tastemaker.text.terms import tag_sentences
        return m.find(tag_sentences(text, tagger), **kw)
    assert find("Yes, the air is low today. I said yes to the weather.") == {}
    assert find("On the new album, Yes play long songs; the band sounds progressive.") == {(0, None): 1}
    assert find("Yes and Air are both bands.", music=False) == {}                 # not about music
    assert find("yes roundabout is my favourite track on the album") == {(0, None): 1, (0, 10): 1}
    assert find("i love depeche mode and cure records") == {(2, None): 1}      # "cure": a word
    assert find("I love depeche mode and Cure records", music=True) == {(2, None): 1, (3, None): 1}
    assert m.resolve("the cure") == 3 and m.resolve("Cure") == 3
    m2 = Matcher({0: "The Drums", 1: "September", 2: "I"}, {})
    from tastemaker.text.terms import tag_sentences
    lower = tag_sentences("the drums on this record hit hard and i love it in september", tagger)
    assert m2.find(lower, music=True) == {}                       # music words, calendar, "I"
    assert m2.find(tag_sentences("I saw The Drums live in September.", tagger), music=True) == {(0, None): 1}
    assert m2.resolve("September") == 1                            # as a named subject only


def test_review_boilerplate_is_removed():
    text = ("hi everyone anthony fantano here the internet's busiest music nerd and it's time for a review of "
            "the new radiohead album " + "lush string arrangements and glitchy drums " * 20 +
            "did you love it did you hate it what would you rate it anthony fantano radiohead forever")
    out = strip_review_boilerplate(text)
    assert "busiest" not in out and "forever" not in out and "fantano" not in out
    assert "glitchy drums" in out


# -- the pinned corpus ----------------------------------------------------------------------

CATALOG = """track_id,title,artist_id,artist_name
t1,Dancing Queen,a1,ABBA
t2,Mamma Mia,a1,ABBA
t3,Enjoy the Silence,a2,Depeche Mode
t4,Roundabout,a3,Yes
t5,Sexy Boy,a4,Air
"""

CORPUS = [
    {"url": "u1", "text": "ABBA were a perky Swedish pop band. Dancing Queen defined the disco era.",
     "published_at": "2024-01-01"},
    {"url": "u2", "text": "The perky Swedish pop of Mamma Mia still sounds great. ABBA ruled the disco era.",
     "published_at": "2024-03-01"},
    {"url": "u3", "text": "ABBA wrote perky Swedish pop songs for the disco era, said the radio host.",
     "published_at": "2018-01-01"},
    {"url": "u4", "text": "Depeche Mode made dark synth pop. Enjoy the Silence is a gloomy electronic song.",
     "published_at": "2024-02-01"},
    {"url": "u5", "text": "Depeche Mode toured again: dark synth pop, gloomy electronic sounds.",
     "published_at": "2024-02-02"},
    {"url": "u6", "text": "ABBA and Depeche Mode both made great pop records.", "published_at": "2024-02-03"},
    {"url": "u7", "text": "The French duo released a dreamy album. Dreamy, mellow electronic pop.",
     "artist": "Air", "published_at": "2024-02-04"},
    {"url": "u8", "text": "Air return with a dreamy, mellow electronic record full of lush pop.",
     "artist": "Air", "published_at": "2024-02-05"},
]


@pytest.fixture
def corpus_wh(tmp_path):
    (tmp_path / "catalog.csv").write_text(CATALOG)
    (tmp_path / "docs.jsonl").write_text("\n".join(json.dumps(d) for d in CORPUS) + "\n")
    wh = DuckDBEngine.open(tmp_path / "home" / "warehouse.duckdb")
    ingest_catalog(wh, [tmp_path / "catalog.csv"])
    ingest_documents(wh, [tmp_path / "docs.jsonl"])
    analyse(wh)
    build_terms(wh, TextParams())
    build_comentions(wh)
    yield wh
    wh.close()


def test_pinned_corpus_top_terms(corpus_wh):
    found = top_terms(corpus_wh, "ABBA", kinds=("n2", "np", "adj"), n=5)
    assert [t for t, _, _ in found["n2"][:3]] == ["disco era", "perky swedish", "swedish pop"]
    assert found["adj"][0][0] == "perky" and found["adj"][1][0] == "swedish"
    assert all(support >= 2 for k in found for _, _, support in found[k])   # min_support
    assert all(0 < w <= 1 for k in found for _, w, _ in found[k])
    dm = top_terms(corpus_wh, "depeche mode", kinds=("adj",), n=3)["adj"]
    assert dm[0][0] == "dark"
    air = [t for t, _, _ in top_terms(corpus_wh, "Air", kinds=("unigram",))["unigram"]]
    assert {"dreamy", "mellow"} <= set(air[:4])
    pairs = set(corpus_wh.execute("SELECT artist_idx, other_idx FROM artist_comentions").fetchall())
    assert (0, 1) in pairs and (1, 0) in pairs                     # ABBA discussed alongside DM
    table = format_table(found)
    assert table.splitlines()[0].split("\t")[0].strip() == "n2 Term"


def test_time_decay_newer_text_counts_more(corpus_wh):
    def prob(half_life, term):
        build_terms(corpus_wh, TextParams(half_life_days=half_life, min_support=1))
        return corpus_wh.scalar("SELECT probability FROM terms WHERE artist_idx = 0 AND track_idx IS NULL "
                                 "AND term = ?", [term])
    # "radio host" is only in the 2018 document, "mamma mia" only in the newest one
    assert prob(30, "radio host") < 0.01 < prob(100000, "radio host") < 0.5
    assert prob(30, "mamma mia") > prob(100000, "mamma mia")


def test_vectors_put_similar_artists_together(corpus_wh):
    v = TextVectors(min_artists=1).fit(corpus_wh)
    ids, scores = v.similar_items(1, N=3)                           # Depeche Mode
    assert ids[0] == 1 and scores[0] == 1.0
    assert list(ids[1:]).index(3) < list(ids[1:]).index(0)          # Air (electronic) before ABBA


def test_documents_bad_input_is_counted(tmp_path):
    d = tmp_path / "docs"
    d.mkdir()
    (d / "ok.md").write_text("# A title\n\nA dreamy electronic album about space.\n")
    (d / "empty.txt").write_text("")
    (d / "binary.txt").write_bytes(b"\x89PNG\x00\x00\x01" * 100)
    (d / "latin.txt").write_bytes("Beyoncé et Björk: un album très électronique.".encode("latin-1"))
    (d / "big.html").write_text("<p>" + "word " * 30000 + "</p>")
    (d / "broken.html").write_text("<html><body><div><p>Loud noisy guitars everywhere<span></div></body>")
    (d / "rows.csv").write_text('id,url,title,text,published_at\n1,u1,T,"Lush pop songs.",2024-01-01\n'
                                '2,u1,T,"Same url again.",2024-01-01\n3,u3,T,,2024-01-01\n'
                                '4,u4,T,"Lush pop songs.",2024-01-01\n5,u5,T,"Bad date here.",yesterday\n')
    with gzip.open(d / "more.jsonl.gz", "wt") as fh:
        fh.write('{"id": 1, "text": "Gzipped JSON lines work."}\n{not json}\n[1, 2]\n')
    wh = DuckDBEngine.open(None)
    report = ingest_documents(wh, [d], max_bytes=100_000)
    status = {f.path.split("/")[-1]: (f.status, f.message) for f in report.files}
    assert status["empty.txt"][0] == "rejected" and "empty" in status["empty.txt"][1]
    assert status["binary.txt"][0] == "rejected" and "binary" in status["binary.txt"][1]
    assert status["big.html"][0] == "rejected" and "too large" in status["big.html"][1]
    assert status["latin.txt"][0] == "ingested" and "latin-1" in status["latin.txt"][1]
    assert status["broken.html"][0] == "ingested"
    reasons = report.reasons
    assert reasons["duplicate url"] == 1 and reasons["duplicate content"] == 1
    assert reasons["empty text"] == 1 and reasons["bad date '\\'yesterday\\''".split()[0]] >= 0
    assert reasons["invalid JSON"] == 1 and reasons["expected a JSON object; got list"] == 1
    assert wh.scalar("SELECT count(*) FROM rejected_files WHERE target = 'documents'") == 3
    assert wh.scalar("SELECT count(*) FROM quarantine") == report.quarantined == 6
    assert "Björk" in wh.scalar("SELECT text FROM documents WHERE text LIKE '%album très%'")
    again = ingest_documents(wh, [d / "rows.csv"])
    assert again.files[0].status == "skipped"


def test_cli_terms_train_and_similar(tmp_path):
    (tmp_path / "catalog.csv").write_text(CATALOG)
    (tmp_path / "docs.jsonl").write_text("\n".join(json.dumps(d) for d in CORPUS) + "\n")
    home = str(tmp_path / "home")
    runner = CliRunner()
    assert runner.invoke(app, ["--home", home, "ingest", "catalog", str(tmp_path / "catalog.csv")]).exit_code == 0
    r = runner.invoke(app, ["--home", home, "ingest", "documents", str(tmp_path / "docs.jsonl")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["--home", home, "train", "text", "--min-support", "1"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["--home", home, "terms", "ABBA"])
    assert r.exit_code == 0 and r.output.splitlines()[1].startswith("n2 Term"), r.output
    r = runner.invoke(app, ["--home", home, "terms", "abba", "--kind", "adj", "--json"])
    assert json.loads(r.output)["terms"]["adj"][0]["term"] == "perky"
    r = runner.invoke(app, ["--home", home, "similar", "artist", "Depeche Mode", "--model", "text", "--json"])
    assert r.exit_code == 0, r.output
    assert {n["name"] for n in json.loads(r.output)["neighbours"]} <= {"ABBA", "Air", "Yes"}


def test_tags_become_documents_and_terms(tmp_path):
    (tmp_path / "catalog.csv").write_text(CATALOG)
    wh = DuckDBEngine.open(None)
    ingest_catalog(wh, [tmp_path / "catalog.csv"])
    rows = [(1, i, 0 if i < 6 else 1, f"u{i}", tag, f"2010-0{1 + i % 9}-01", "lastfm-hetrec")
            for i, tag in enumerate(["swedish pop", "disco", "swedish pop", "70s", "disco", "swedish pop",
                                     "synthpop", "dark wave", "synthpop", "dark wave"])]
    wh.con.executemany("INSERT INTO artist_tags VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    from tastemaker.text.sources import tag_documents
    assert tag_documents(wh) == 10 and tag_documents(wh) == 0            # once
    analyse(wh)
    build_terms(wh, TextParams(half_life_days=100000))
    tags = top_terms(wh, "ABBA", kinds=("tag",))["tag"]
    assert tags[0][0] == "swedish pop" and tags[0][2] == 3
    assert tags[0][1] == pytest.approx(0.5)                              # 3 of 6 taggers, rare term
    assert {t for t, _, _ in top_terms(wh, "Depeche Mode", kinds=("tag",))["tag"]} == {"dark wave", "synthpop"}


def test_demo_world_words_follow_styles():
    from tastemaker.demo.words import generate_documents
    from tastemaker.demo.world import generate_world
    world = generate_world(n_users=30, n_artists=12, tracks_per_artist=2, weeks=2, seed=3)
    docs = generate_documents(world, seed=3)
    assert docs == generate_documents(world, seed=3)                     # seeded
    styles = {s.name: s for s in world.styles}
    about = [d for d in docs if d.get("artist")]
    assert len(about) >= 12 and any("artist" not in d for d in docs)    # co-mention posts too
    a = world.artists.iloc[0]
    own = styles[a["style"]]
    words = " ".join(d["text"] for d in about if d["artist"] == a["name"])
    assert sum(adj in words for adj in own.adjectives) >= 2
