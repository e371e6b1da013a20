"""The command line end to end on the tiny world, as a user would run it."""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

from typer.testing import CliRunner

from tastemaker.cli import app
from tastemaker.errors import NotFoundError

runner = CliRunner()


def _run(home, *args, code=0):
    result = runner.invoke(app, ["--home", str(home), "--quiet", *args])
    assert result.exit_code == code, result.output + repr(result.exception)
    return " ".join(result.output.split())   # Rich wraps lines at the terminal's width


def test_pipeline_from_the_command_line(tiny_world, tmp_path):
    home = tiny_world["home"]
    out = _run(home, "ingest", "catalog", str(tiny_world["catalog"]))
    assert "150" in out
    out = _run(home, "ingest", "events", str(tiny_world["events"]))
    assert "ingested" in out
    out = _run(home, "ingest", "events", str(tiny_world["events"]))
    assert "skipped" in out and "already ingested" in out
    out = _run(home, "train", "collaborative", "--factors", "16", "--iterations", "5", "--validate")
    assert "16 factors" in out and "hold-out: " in out
    # the factors given are kept; the regularisation and confidence scale are still chosen
    assert "chosen on time validation" in out and "best of 21 tried" in out
    assert "factors given on the command line" in out
    assert (home / "models" / "collaborative" / "LATEST").exists()
    manifest = json.loads(next((home / "models" / "collaborative").glob("*/manifest.json")).read_text())
    assert manifest["params"]["factors"] == 16 and len(manifest["data_fingerprint"]) == 16
    assert {t["factors"] for t in manifest["tuning"]["tried"]} == {16}
    assert 0.1 < manifest["metrics"]["recall@30"] <= 1.0 and "hold-out" in manifest["metrics"]["protocol"]
    out = _run(home, "weekly", "generate", "--week", "2026-W48")
    assert "2026-W48" in out and "7,200 tracks written" in out
    out = _run(home, "weekly", "show", "u5")
    assert "because you play" in out
    out = _run(home, "similar", "track", "t3", "-n", "3", "--json")
    doc = json.loads(out)
    assert doc["query"]["id"] == "t3" and len(doc["neighbours"]) == 3
    assert _run(home, "similar", "artist", "Artist 2", "-n", "2")
    missing = runner.invoke(app, ["--home", str(home), "similar", "user", "nobody"])
    assert isinstance(missing.exception, NotFoundError) and "No user 'nobody'" in str(missing.exception)
    for fmt in ("json", "csv", "parquet", "m3u", "xspf"):
        assert "exported" in _run(home, "weekly", "export", "--format", fmt, "--out", str(tmp_path / "x"))
    doc = json.loads((tmp_path / "x" / "2026-W48.json").read_text())
    assert len(doc["users"]) == 240 and len(doc["users"][0]["tracks"]) == 30
    assert (tmp_path / "x" / "2026-W48.csv").read_text().count("\n") == 7201
    # Parquet: the CSV's rows, typed
    import pandas as pd
    table = pd.read_parquet(tmp_path / "x" / "2026-W48.parquet")
    frame = pd.read_csv(tmp_path / "x" / "2026-W48.csv", keep_default_na=False)
    assert table.dtypes["position"] == "int16" and len(table) == 7200
    assert table[["user_id", "position", "track_id", "source"]].astype(str).values.tolist() == \
        frame[["user_id", "position", "track_id", "source"]].astype(str).values.tolist()
    assert not list((tmp_path / "x").glob("*.partial"))
    m3u = (tmp_path / "x" / "2026-W48-m3u" / "u5.m3u").read_text().splitlines()
    assert m3u[0] == "#EXTM3U" and m3u[1].startswith("#EXTINF:200,Artist ") and m3u[2].startswith("audio/t")
    tree = ET.parse(tmp_path / "x" / "2026-W48-xspf" / "u5.xspf")
    ns = {"x": "http://xspf.org/ns/0/"}
    assert len(tree.getroot().findall("x:trackList/x:track", ns)) == 30
    out = _run(home, "status")
    assert "2026-W48" in out and "collaborative" in out and "fitted by" in out and "implicit" in out


def test_errors_are_clear_and_exit_non_zero(tmp_path):
    home = tmp_path / "empty-home"
    done = subprocess.run([sys.executable, "-m", "tastemaker", "--home", str(home), "weekly", "show", "u1"],
                          capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 2
    assert "error: No warehouse at" in done.stderr and "Traceback" not in done.stdout + done.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("who,what\n1,2\n")
    out = _run(home, "ingest", "events", str(bad), code=1)
    assert "rejected" in out and "no column for user_id" in out


def test_bare_train_learns_the_blend_from_a_hold_out_when_events_have_no_timestamps(tiny_world, tmp_path):
    """A listening log of counts (no timestamps): `train` trains ALS and the item-item model,
    says why there is no text model, and learns the ranker and the fixed blend's weights from a
    seeded hold-out of each user's tracks; the week is written from them."""
    home = tiny_world["home"]
    counts = tmp_path / "counts.csv"
    tiny_world["frame"].drop(columns=["ts"]).to_csv(counts, index=False)
    _run(home, "ingest", "catalog", str(tiny_world["catalog"]))
    _run(home, "ingest", "events", str(counts))
    out = _run(home, "train")
    assert "No text model trained" in out
    assert "labels from a seeded 20 % hold-out" in out and "fixed blend's weights chosen" in out
    assert (home / "models" / "neighbours" / "LATEST").exists()
    manifest = json.loads(next((home / "models" / "ranker").glob("*/manifest.json")).read_text())
    assert manifest["weeks"] == ["hold-out"] and manifest["fixed_weights_tried"]
    # the item-item model is there, so its weight was among those tried
    assert {p["w_item"] for p in manifest["fixed_weights_tried"]} == {0.0, 0.5, 1.0}
    assert 0 < manifest["held_out"]["learned"]["recall"] <= 1
    out = _run(home, "weekly", "generate", "--week", "2026-W48")
    assert "7,200 tracks written" in out
