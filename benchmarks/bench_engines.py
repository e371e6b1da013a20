"""The embedded engine and Spark side by side on one home: each stage's time and peak memory.

One world (the demo generator at scale); each stage in its own process through the real CLI:

* ingest — the embedded engine into DuckDB, and the Spark engine (the first master) into its
  Parquet warehouse; the script checks that both hold the same tables;
* train collaborative — `implicit` (embedded) vs MLlib's ALS on Spark ``local[2]`` and
  ``local[1]`` (the same factors, iterations and confidence; MLlib's λ mapped from ``[als]``);
* weekly generate — the embedded engine vs Spark ``local[2]`` and ``local[1]`` (on the Spark
  homes' Parquet events), all three from the same saved models (the embedded engine's), so their
  lists must be identical: the script checks it row for row.

Peak memory is the largest sum of resident memory over the stage's process tree (the CLI, Spark's
JVM and its Python workers), sampled every 0.2 s.

    python benchmarks/bench_engines.py --users 200000 --tracks 47000 --events 10000000
    python benchmarks/bench_engines.py --world bench-out/engines/world --json bench-out/engines.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pipeline import ROOT, make_world  # noqa: E402


def run_stage(name: str, args: list[str], env: dict) -> dict:
    """Run one CLI stage as a child process: wall seconds and the peak RSS of its whole tree."""
    cmd = [sys.executable, "-m", "tastemaker", *args]
    print(f"$ tastemaker {' '.join(args)}", flush=True)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env)
    peak, done = [0], threading.Event()

    def sample():
        root = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                peak[0] = max(peak[0], sum(p.memory_info().rss for p in procs if p.is_running()))
            except psutil.Error:
                pass
            done.wait(0.2)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    code = proc.wait()
    done.set()
    watcher.join()
    seconds = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"stage {name} failed with exit code {code}")
    gib = peak[0] / 1024 ** 3
    print(f"  {name}: {seconds:.1f} s, peak {gib:.2f} GiB (process tree)", flush=True)
    return {"stage": name, "seconds": round(seconds, 1), "peak_rss_gib": round(gib, 2)}


def settings_file(home: Path, master: str | None, partitions: int) -> None:
    text = "[als]\ntune = false\n"
    if master:
        text += f'[engine]\nkind = "spark"\n[engine.spark]\nmaster = "{master}"\npartitions = {partitions}\n'
    (home / "tastemaker.toml").write_text(text)


def same_lists(a: Path, b: Path, week: str) -> bool:
    from tastemaker.engine import open_engine
    with open_engine(a / "warehouse.duckdb", read_only=True) as ea, \
            open_engine(b / "warehouse.duckdb", read_only=True) as eb:
        ca, cb = ea.playlist_columns(week), eb.playlist_columns(week)
    return all(np.array_equal(ca[k], cb[k]) for k in ("user_idx", "position", "track_idx", "source", "reason"))


def same_counts(a: Path, b: Path) -> bool:
    from tastemaker.config import load_settings
    from tastemaker.engine import open_engine
    with open_engine(a / "warehouse.duckdb", read_only=True) as ea, \
            open_engine(load_settings(b), read_only=True) as eb:
        return ea.table_counts() == eb.table_counts() and ea.event_span() == eb.event_span()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=200_000)
    ap.add_argument("--tracks", type=int, default=47_000)
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--factors", type=int, default=64)
    ap.add_argument("--iterations", type=int, default=15)
    ap.add_argument("--world", type=Path, default=None, help="A world written by make_scale_world.py")
    ap.add_argument("--out", type=Path, default=ROOT / "bench-out" / "engines")
    ap.add_argument("--masters", default="local[2],local[1]")
    ap.add_argument("--skip-train", action="store_true", help="time the weekly job only")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    world = args.world or make_world(args.out, args.users, args.tracks, args.events, args.seed)
    sizes = json.loads((world / "world.json").read_text())["sizes"]
    base = args.out / "home-embedded"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    settings_file(base, None, 0)
    env = {**os.environ, "TASTEMAKER_QUIET": "1"}
    at = lambda home: {**env, "TASTEMAKER_HOME": str(home)}  # noqa: E731
    events = sorted(str(p) for p in world.glob("events*.parquet")) or [str(world / "events.csv.gz")]
    stages = [run_stage("ingest catalog (embedded)", ["ingest", "catalog", str(world / "catalog.csv")], at(base)),
              run_stage("ingest events (embedded)", ["ingest", "events", *events], at(base))]
    train = ["train", "collaborative", "--factors", str(args.factors), "--iterations", str(args.iterations)]
    homes = {}
    for i, master in enumerate(args.masters.split(",")):
        home = args.out / f"home-spark-{master.replace('[', '').replace(']', '')}"
        shutil.rmtree(home, ignore_errors=True)
        if i == 0:              # the first Spark home ingests on Spark: its events are Parquet
            home.mkdir(parents=True)
            settings_file(home, master, 0)
            stages.append(run_stage(f"ingest catalog (Spark {master})",
                                    ["ingest", "catalog", str(world / "catalog.csv")], at(home)))
            stages.append(run_stage(f"ingest events (Spark {master})", ["ingest", "events", *events], at(home)))
            same = same_counts(base, home)
            print(f"  the same tables as the embedded engine's: {same}", flush=True)
            first = home
        else:                   # the others take its warehouse (Parquet inside the home)
            shutil.copytree(first, home)
            settings_file(home, master, 0)
        homes[master] = home
    if not args.skip_train:
        for master, home in homes.items():
            stages.append(run_stage(f"train collaborative (Spark {master})", train, at(home)))
    stages.append(run_stage("train collaborative (embedded, implicit)", train, at(base)))
    for master, home in homes.items():         # the week from the same models as the embedded engine
        shutil.rmtree(home / "models", ignore_errors=True)
        shutil.copytree(base / "models", home / "models")
    week = ["weekly", "generate", "--week", "2026-W48"]
    stages.append(run_stage("weekly generate (embedded)", week, at(base)))
    identical = {}
    for master, home in homes.items():
        stages.append(run_stage(f"weekly generate (Spark {master})", week, at(home)))
        identical[master] = same_lists(base, home, "2026-W48")
        print(f"  lists identical to the embedded engine's: {identical[master]}", flush=True)
    size = f"{sizes['users']:,} users × {sizes['tracks']:,} tracks × {sizes['events']:,} events"
    print(f"\n### {size}\n\n| stage | seconds | peak RSS, process tree (GiB) |\n|---|---:|---:|")
    for s in stages:
        print(f"| {s['stage']} | {s['seconds']:.1f} | {s['peak_rss_gib']:.2f} |")
    print(f"\nlists identical to the embedded engine's: {identical}")
    if args.json:
        args.json.write_text(json.dumps({"size": size, "stages": stages, "identical": identical,
                                         "machine": platform.platform(), "cpus": os.cpu_count()}, indent=2))


if __name__ == "__main__":
    main()
