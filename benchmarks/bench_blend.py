"""The cost of the blend at scale: the weekly run with collaborative ranking only, then with the
text and audio candidates and the learned ranker, on the same warehouse and model.

    python benchmarks/bench_pipeline.py --world bench-out/world        # the scale home first
    python benchmarks/bench_blend.py --home bench-out/home --world bench-out/world

The scale world has no documents and no audio files, so this script gives it models of the right
size whose content follows the world's ground truth (it measures speed, not quality):

* text: every artist gets its style's descriptors (and, more faintly, its secondary style's) plus
  a few random words, as `terms`; `TextVectors` are fitted on them and saved as a text model;
* audio: every cold track (fewer than ``[audio_model] min_plays`` plays) gets a predicted vector:
  the mean collaborative vector of the warm tracks of its style and scene, plus noise; stored in
  ``audio_vectors`` under an (untrained) audio model version made against the current
  collaborative model, so that the weekly job takes its real path;
* ranker: `tastemaker train ranker` on the last full week (``[blend] ranker_users`` users).

Then each weekly run is a child process (`tastemaker weekly generate --ranking …`) with its wall
time and peak RSS; the result table goes to stdout (and --json).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pipeline import run_stage  # noqa: E402


def _words(style: dict) -> list[str]:
    return style.get("descriptors") or style["adjectives"] + style["bigrams"] + style["noun_phrases"]


def attach_text(wh, settings, world: Path, seed: int) -> dict:
    from tastemaker.models import registry
    from tastemaker.text.model import TEXT, TextVectors

    styles = {s["name"]: s for s in json.loads((world / "styles.json").read_text())["styles"]}
    artists = pq.read_table(world / "artists.parquet").to_pandas()
    idx = dict(wh.execute("SELECT artist_id, artist_idx FROM artists").fetchall())
    rng = np.random.default_rng(seed)
    noise = [f"word{i}" for i in range(2000)]
    rows = []
    for a in artists.itertuples():
        if a.artist_id not in idx:
            continue
        i = idx[a.artist_id]
        for term in _words(styles[a.style]):
            rows.append((i, "np", term, float(rng.uniform(0.2, 1.0))))
        if isinstance(a.secondary_style, str) and a.secondary_style in styles:
            for term in _words(styles[a.secondary_style])[:5]:
                rows.append((i, "np", term, float(rng.uniform(0.05, 0.3))))
        for term in rng.choice(noise, 3, replace=False):
            rows.append((i, "unigram", str(term), float(rng.uniform(0.05, 0.5))))
    a_idx, kind, term, weight = (np.array(c) for c in zip(*rows))
    n = int(wh.scalar("SELECT max(artist_idx) + 1 FROM artists"))
    t0 = time.perf_counter()
    model = TextVectors().fit_rows(a_idx.astype(np.int64), kind, term, weight.astype(np.float32), n)
    version = registry.save_version(settings.models_dir, TEXT, model, {
        "data_fingerprint": "synthetic-bench", "note": "synthetic terms from the scale world's styles"})
    return {"text_version": version, "terms": len(rows), "fit_seconds": round(time.perf_counter() - t0, 1)}


def attach_audio(wh, settings, world: Path, seed: int) -> dict:
    import dataclasses

    from tastemaker.audio_model.model import AudioModel
    from tastemaker.audio_model.network import AudioCNN
    from tastemaker.audio_model.train import AUDIO, play_counts
    from tastemaker.models import registry
    from tastemaker.train import load_collaborative

    cf, manifest = load_collaborative(settings)
    V = cf.item_factors_
    n_items = len(V)
    tracks = pq.read_table(world / "tracks.parquet", columns=["track_id", "style", "scene"]).to_pandas()
    idx = dict(wh.execute("SELECT track_id, track_idx FROM tracks").fetchall())
    tracks["track_idx"] = tracks["track_id"].map(idx)
    tracks = tracks.dropna(subset=["track_idx"])
    t_idx = tracks["track_idx"].to_numpy(np.int64)
    group = (tracks["style"] + "/" + tracks["scene"].astype(str)).to_numpy()
    plays = play_counts(wh, n_items)
    cold = plays[t_idx] < settings.audio_model.min_plays
    rng = np.random.default_rng(seed)
    vectors = np.zeros((len(t_idx), V.shape[1]), np.float32)
    for g in np.unique(group):
        members = group == g
        warm = t_idx[members & ~cold]
        centre = V[warm].mean(axis=0) if len(warm) else np.zeros(V.shape[1], np.float32)
        vectors[members] = centre + 0.3 * np.linalg.norm(centre) / np.sqrt(V.shape[1]) * \
            rng.standard_normal((members.sum(), V.shape[1]))
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    p = dataclasses.replace(settings.audio_model)
    model = AudioModel(p)
    model.net_ = AudioCNN(n_mels=p.n_mels, channels=p.channels, kernel=p.kernel, hidden=p.hidden,
                          out_dim=V.shape[1], dropout=p.dropout).eval()
    model.out_dim_ = V.shape[1]
    version = registry.save_version(settings.models_dir, AUDIO, model, {
        "data_fingerprint": manifest["data_fingerprint"], "collaborative_version": manifest["version"],
        "note": "untrained network; predicted vectors are synthetic (bench_blend.py)"})
    keep = np.flatnonzero(cold)
    import pyarrow as pa
    table = pa.table({"track_idx": pa.array(t_idx[keep].astype(np.int32)),
                      "vector": pa.array(list(vectors[keep]), type=pa.list_(pa.float32()))})
    wh.con.register("bench_vectors", table)
    with wh.transaction():
        wh.execute("DELETE FROM audio_vectors WHERE model_version = ?", [version])
        wh.execute("""INSERT INTO audio_vectors (track_idx, model_version, status, vector, computed_at)
                      SELECT track_idx, ?, 'ok', vector, now() FROM bench_vectors""", [version])
    wh.con.unregister("bench_vectors")
    return {"audio_version": version, "cold_tracks": int(len(keep))}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--world", type=Path, required=True)
    ap.add_argument("--week", default="2026-W48")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-setup", action="store_true", help="The text, audio and ranker models are there")
    ap.add_argument("--skip-attach", action="store_true",
                    help="The synthetic text and audio models are there; train the ranker again")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args(argv)

    from tastemaker.config import load_settings
    from tastemaker.engine import DuckDBEngine

    env = {**os.environ, "TASTEMAKER_HOME": str(a.home), "TASTEMAKER_QUIET": "1"}
    settings = load_settings(a.home)
    setup = {}
    stages = []
    if not a.skip_setup and not a.skip_attach:
        with DuckDBEngine.open(settings.warehouse_path) as wh:
            t0 = time.perf_counter()
            setup.update(attach_text(wh, settings, a.world, a.seed))
            setup.update(attach_audio(wh, settings, a.world, a.seed))
            setup["attach_seconds"] = round(time.perf_counter() - t0, 1)
        print(f"models attached: {setup}", flush=True)
    if not a.skip_setup:
        stages.append(run_stage("train ranker", ["train", "ranker"], env))
    stages.append(run_stage("weekly, collaborative only", ["weekly", "generate", "--week", a.week,
                                                           "--ranking", "collaborative"], env))
    stages.append(run_stage("weekly, full blend (learned)", ["weekly", "generate", "--week", a.week,
                                                             "--ranking", "learned"], env))
    with DuckDBEngine.open(settings.warehouse_path, read_only=True) as wh:
        by_source = dict(wh.execute("SELECT source, count(*) FROM playlists WHERE week = ? GROUP BY 1",
                                    [a.week]).fetchall())
    base, full = stages[-2]["seconds"], stages[-1]["seconds"]
    print("\n| stage | seconds | peak RSS (GiB) |\n|---|---:|---:|")
    for s in stages:
        print(f"| {s['stage']} | {s['seconds']:.1f} | {s['peak_rss_gib']:.2f} |")
    print(f"\nfull blend / collaborative only: {full / base:.2f}×; tracks by source: {by_source}")
    result = {"setup": setup, "stages": stages, "ratio": round(full / base, 3), "by_source": by_source,
              "cpus": os.cpu_count()}
    if a.json:
        a.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
