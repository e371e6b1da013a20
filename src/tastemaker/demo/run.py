"""The whole week end to end on the demo world: what `tastemaker demo` (and `make demo`) runs.

generate the world → synthesise its audio → ingest catalogue and events → train (collaborative,
then audio) → this week's playlists → export →
evaluate against baselines on the time split. Each step is the same public function the CLI's
own commands call; nothing here is demo-only except the world.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..audio_model.train import train_audio
from ..blend import SplitContexts
from ..blend.evaluate import ablation
from ..blend.train import train_ranker as fit_ranker
from ..config import Settings
from ..engine import open_engine
from ..evaluate import compare, validation_split, warehouse_split
from ..ingest import ingest_catalog, ingest_events
from ..text import ingest_documents, train_text
from ..train import train_collaborative
from ..weekly.generate import generate_week
from ..weekly.export import export_week
from ..weekly.weeks import week_of
from .output import write_world
from .sound import write_world_audio
from .words import generate_documents
from .world import generate_world


@dataclass
class DemoResult:
    world_dir: Path
    world: dict
    week: str
    steps: list[tuple[str, float, str]] = field(default_factory=list)   # (step, seconds, summary)
    ablation: dict | None = None                                        # the blend's ablation report
    comparison: object = None
    exports: list[Path] = field(default_factory=list)
    world_obj: object = None


def run_demo(settings: Settings, *, n_users: int = 2_000, n_artists: int = 300,
             tracks_per_artist: int = 10, weeks: int = 8, seed: int = 0, evaluate: bool = True,
             grid: str = "small", audio_seconds: float = 8.0, log=print) -> DemoResult:
    world_dir = settings.home / "demo-world"

    def step(name, fn):
        log(f"[{len(result.steps) + 1}] {name} …")
        t = time.perf_counter()
        summary, value = fn()
        result.steps.append((name, time.perf_counter() - t, summary))
        log(f"    {summary} ({time.perf_counter() - t:.1f} s)")
        return value

    result = DemoResult(world_dir, {}, "")

    def make_world():
        world = generate_world(n_users=n_users, n_artists=n_artists,
                               tracks_per_artist=tracks_per_artist, weeks=weeks, seed=seed)
        info = write_world(world, world_dir)
        result.world_obj = world
        s = info["sizes"]
        return (f"{s['users']:,} users, {s['artists']:,} artists, {s['tracks']:,} tracks "
                f"({s['cold_tracks']:,} released last week, unplayed), {s['events']:,} events "
                f"in {world_dir}"), info

    result.world = step("Generating the demo world", make_world)

    def make_sound():
        info = write_world_audio(world_dir, seconds=audio_seconds)
        return (f"{info['written']:,} clips of {audio_seconds:g} s written, {info['kept']:,} kept, "
                f"in {info['folder']}"), info

    if audio_seconds > 0:
        step("Synthesising the tracks' audio", make_sound)
    next_monday = dt.date.fromisoformat(result.world["test_week_start"]) + dt.timedelta(weeks=1)
    result.week = week_of(next_monday)
    # the models the ranker's training fits on each week are kept for the blend's ablation
    contexts = SplitContexts(settings.blend.ranker_weeks + 2)
    engine = open_engine(settings)
    try:
        def ingest():
            cat = ingest_catalog(engine, [world_dir / "catalog.csv"])
            ev = ingest_events(engine, [world_dir / f for f in result.world["files"]["events"]],
                               params=settings.ingest)
            skipped = sum(f.status == "skipped" for f in cat.files + ev.files)
            return (f"catalogue {cat.accepted:,} tracks; events read {ev.rows_read:,}, accepted "
                    f"{ev.accepted:,}, quarantined {ev.quarantined:,}"
                    + (f" ({skipped} file(s) already ingested)" if skipped else "")), ev

        step("Ingesting into the warehouse", ingest)

        def words():
            docs_path = world_dir / "documents.jsonl"
            docs_path.write_text("".join(json.dumps(d) + "\n" for d in generate_documents(
                result.world_obj, seed=seed)))
            rep = ingest_documents(engine, [docs_path], kind="demo")
            r = train_text(engine, settings)
            return (f"{rep.accepted:,} blog posts; {r.manifest['terms']:,} top terms, "
                    f"{r.manifest['artists_with_vectors']:,} artists with text vectors"), r

        step("Words about the artists: the text model", words)

        def train():
            r = train_collaborative(engine, settings, validate=True)
            m = r.manifest
            how = (f"chosen on a {m['tuning']['split']} validation split" if m["tuning"].get("tuned")
                   else "as set")
            return (f"ALS {r.model.factors} factors, regularisation {r.model.regularization:g}, confidence scale "
                    f"{r.model.confidence_scale:g} ({how}), "
                    f"on {m['n_users']:,} × {m['n_items']:,} "
                    f"({m['nnz']:,} pairs), version {r.version}; hold-out NDCG@30 "
                    f"{m['metrics'].get('ndcg@30', float('nan')):.3f}"), r

        step("Training the collaborative model", train)

        def train_sound():
            r = train_audio(engine, settings)
            m = r.manifest
            return (f"CNN on {m['tracks']['trained_on']:,} tracks, {m['epochs']} epochs, validation MSE "
                    f"{m['best_val_mse']:.4f}; vectors for {m['predicted']['ok']:,} tracks, "
                    f"version {r.version}"), r

        if audio_seconds > 0:
            step("Training the audio model", train_sound)

        def train_ranker():
            r = fit_ranker(engine, settings, cache=contexts)
            h = r.held_out
            return (f"LightGBM lambdarank on {r.users:,} user-weeks' candidates, labels from {', '.join(r.weeks)}; cross-validated "
                    f"recall@{settings.weekly.size}: learned {h['learned']['recall']:.3f}, fixed "
                    f"{h['fixed']['recall']:.3f}, collaborative {h['collaborative']['recall']:.3f}; "
                    f"version {r.version}"), r

        step("Training the ranker of the blend", train_ranker)

        def week():
            r = generate_week(engine, settings, week=result.week)
            return (f"{r.rows:,} tracks for {r.users:,} users ({r.ranking} ranking; "
                    f"{r.collaborative_users:,} users with a collaborative vector, {r.fallback_users:,} "
                    f"with little history); tracks by source: "
                    + ", ".join(f"{k} {v:,}" for k, v in r.by_source.items())), r

        step(f"Writing the playlists of {result.week}", week)

        def export():
            paths = [export_week(engine, result.week, "json", settings.exports_dir),
                     export_week(engine, result.week, "xspf", settings.exports_dir)]
            result.exports = paths
            return "JSON and XSPF in " + str(settings.exports_dir), paths

        step("Exporting", export)
    finally:
        engine.close()

    if evaluate:
        def run_eval():
            with open_engine(settings, read_only=True) as ro:
                split = warehouse_split(ro, settings.signals, kind="time", seed=seed)
                validation = validation_split(split, engine=ro, weights=settings.signals)
            comp = compare(split, weights=settings.signals, k=settings.weekly.size, seed=seed,
                           validation=validation, size=grid, show_progress=True)
            return f"{len(split.users):,} users with new plays in the test week", comp

        result.comparison = step("Evaluating against baselines (time split)", run_eval)

        def run_ablation():
            with open_engine(settings, read_only=True) as ro:
                report = ablation(ro, settings, cache=contexts)
            return (f"{report['users']:,} users ({report['light_users']:,} with little history), "
                    f"{report['cold_test_pairs']:,} cold-track test pairs"), report

        result.ablation = step("Evaluating the blend: each model, their blends, the learned ranker", run_ablation)
    return result
