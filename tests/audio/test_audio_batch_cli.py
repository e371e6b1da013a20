"""Batches: one bad file never stops them; the cache; the warehouse; `tastemaker analyze`."""

import csv
import json
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from .audio_helpers import spec, write_item
from tastemaker.audio import batch, evaluate, store
from tastemaker.cli import app
from tastemaker.errors import InputError
from tastemaker import queries
from tastemaker.engine import DuckDBEngine
from tastemaker.errors import NotFoundError


@pytest.fixture(scope="module")
def music(tmp_path_factory, bad_files):
    """A folder with two good items, the odd files and a sub-folder; plus a non-audio file."""
    folder = tmp_path_factory.mktemp("music")
    write_item(folder, spec(name="TR001", tempo=90.0, bars=6))
    (folder / "sub").mkdir()
    write_item(folder / "sub", spec(name="TR002", tempo=130.0, tonic=4, mode=1, bars=8))
    for name in ("empty", "text_mp3", "silence", "truncated"):
        shutil.copy(bad_files[name], folder / bad_files[name].name)
    (folder / "cover.jpg").write_bytes(b"\xff\xd8 not audio and not picked up")
    return folder


def test_find_audio_walks_folders_and_checks_names(music):
    found = batch.find_audio([music])
    assert {p.name for p in found} == {"TR001.wav", "TR002.wav", "empty.wav", "notes.mp3",
                                       "silence.wav", "truncated.wav"}
    with pytest.raises(InputError, match="No such file"):
        batch.find_audio([music / "nope"])


def test_batch_never_stops_and_uses_the_cache(music):
    files = batch.find_audio([music])
    results = {r.path.split("/")[-1]: r for r in batch.run(files, jobs=1)}
    assert len(results) == len(files)
    assert results["empty.wav"].status == "failed" and "empty" in results["empty.wav"].reason
    assert results["notes.mp3"].status == "failed"
    assert results["TR001.wav"].status == "ok" and results["silence.wav"].status == "ok"
    assert "truncated" in results["truncated.wav"].reason
    stored = {r.sha256: r.document for r in results.values() if r.ok}
    again = list(batch.run(files, jobs=1, cached=stored.get))
    assert sum(r.status == "cached" for r in again) == len(stored)


def test_worker_processes_give_the_same_answers(music):
    files = [music / "TR001.wav", music / "empty.wav", music / "silence.wav"]
    one = {r.path: (r.status, r.document.get("track")) for r in batch.run(files, jobs=1)}
    two = {r.path: (r.status, r.document.get("track")) for r in batch.run(files, jobs=2)}
    assert one == two


def test_cli_analyze_stores_links_and_writes_json(music, tmp_path):
    home, out = tmp_path / "home", tmp_path / "json"
    with DuckDBEngine.open(home / "warehouse.duckdb") as wh:
        wh.execute("INSERT INTO tracks (track_idx, track_id, uri) VALUES (0, 'TR001', NULL), "
                   "(1, 'other', ?)", [str((music / "sub" / "TR002.wav").resolve())])
    runner = CliRunner()
    result = runner.invoke(app, ["--home", str(home), "-q", "analyze", str(music),
                                 "--json-dir", str(out), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())        # the console wraps long lines
    assert "failed:" in text and "empty (0 bytes)" in text and "text, not audio" in text
    names = sorted(p.name for p in out.glob("*.json"))
    assert names == ["TR001.json", "TR002.json", "empty.json", "notes.json", "silence.json",
                     "truncated.json"]
    doc = json.loads((out / "TR002.json").read_text())
    assert doc["track"]["key"] == 4 and {"bars", "beats", "tatums", "sections", "segments"} <= set(doc)
    assert json.loads((out / "empty.json").read_text())["meta"]["status_code"] == 1
    with DuckDBEngine.open(home / "warehouse.duckdb") as wh:
        rows = dict(wh.execute("SELECT status, count(*) FROM audio_analyses GROUP BY 1").fetchall())
        assert rows == {"ok": 4, "failed": 2}
        linked = dict(wh.execute("SELECT stem, track_idx FROM audio_files WHERE track_idx "
                                 "IS NOT NULL").fetchall())
        assert linked == {"TR001": 0, "TR002": 1}
        assert wh.scalar("SELECT track_idx FROM audio_analyses WHERE path LIKE '%TR002.wav'") == 1
        sha = wh.scalar("SELECT content_sha256 FROM audio_files WHERE stem = 'TR001'")
        assert store.cached_document(wh, sha)["track"]["tempo"] > 0
        # the query layer gives the same document by track id, and the flat features row
        assert queries.track_analysis(wh, "other") == doc
        assert queries.track_features(wh, "other")["key"] == 4
        with pytest.raises(NotFoundError, match="No track 'nope'"):
            queries.track_analysis(wh, "nope")
    again = runner.invoke(app, ["--home", str(home), "-q", "analyze", str(music), "--jobs", "1"])
    assert again.exit_code == 0
    assert "│ 6 │ 0 │ 4 │ 2 │ 2 │" in " ".join(again.output.split())   # files, new, cached, failed, linked


def _three_item_set(tmp_path, runner):
    """A home and a 3-item synthetic labelled set made through the CLI."""
    home, folder = tmp_path / "home", tmp_path / "synthetic"
    made = runner.invoke(app, ["--home", str(home), "-q", "analyze", "--make-test-set",
                               str(folder), "--count", "3", "--seed", "1"])
    assert made.exit_code == 0, made.output
    return home, folder


def test_cli_makes_and_evaluates_a_test_set(tmp_path):
    runner = CliRunner()
    home, folder = _three_item_set(tmp_path, runner)
    report = tmp_path / "scores.csv"
    result = runner.invoke(app, ["--home", str(home), "-q", "analyze", "--evaluate",
                                 str(folder / "labels.csv"), "--jobs", "1", "--report", str(report)])
    assert result.exit_code == 0, result.output
    for measure in ("tempo_accuracy1", "tempo_accuracy2", "key_weighted",
                    "time_signature_accuracy", "loudness_mae_db", "beat_f_measure"):
        assert measure in result.output
    assert len(report.read_text().splitlines()) == 4


def test_cli_explains_what_is_missing(tmp_path):
    result = CliRunner().invoke(app, ["--home", str(tmp_path), "analyze"])
    assert result.exit_code != 0
    assert "Nothing to analyse" in str(result.exception) or "Nothing to analyse" in result.output


def test_cli_evaluates_per_genre(tmp_path):
    runner = CliRunner()
    home, folder = _three_item_set(tmp_path, runner)
    labels = folder / "labels.csv"
    with open(labels, newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row, genre in zip(rows, ["waltzes", "rock", "rock"]):
        row["genre"] = genre
    with open(labels, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    report = tmp_path / "scores.csv"
    result = runner.invoke(app, ["--home", str(home), "-q", "analyze", "--evaluate", str(labels),
                                 "--jobs", "1", "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "By genre" in result.output and "waltzes" in result.output
    with open(report, newline="") as fh:
        scored = list(csv.DictReader(fh))
    rock = [r for r in scored if r["genre"] == "rock"]
    assert len(rock) == 2
    # the rock row shows the mean of the rock files' scores
    acc1 = np.mean([r["acc1"] == "True" for r in rock])
    key = np.mean([float(r["key_score"]) for r in rock])
    rock_line = next(line for line in result.output.splitlines() if " rock " in line)
    assert f"{acc1:.3f} (2)" in rock_line and f"{key:.3f} (2)" in rock_line
    parts = evaluate.by_genre([{"file": "a", "status": "ok", "genre": "x", "acc1": True},
                               {"file": "b", "status": "ok", "genre": "x", "acc1": False},
                               {"file": "c", "status": "failed", "acc1": False}])
    assert list(parts) == ["(none)", "x"] and parts["x"]["tempo_accuracy1"] == 0.5
    assert parts["(none)"]["failed"] == 1
    # one genre, or none, gives no breakdown
    assert evaluate.by_genre([{"file": "a", "status": "ok", "genre": "x"}]) == {}
    assert evaluate.by_genre([{"file": "a", "status": "ok"}]) == {}
