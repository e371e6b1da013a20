"""Time the whole week at scale: generate a world, then ingest → train → weekly generate, each
stage run through the real CLI in its own process, with wall time and peak memory (RSS).

    python benchmarks/bench_pipeline.py --users 1000000 --tracks 200000 --events 50000000

Results are printed as a Markdown table (paste into docs/benchmarks.md) and, with --json, saved.
The world's files are generated once into --out and reused on later runs with the same sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_stage(name: str, args: list[str], env: dict) -> dict:
    """Run one CLI stage as a child process; wall seconds and the child's peak RSS."""
    cmd = [sys.executable, "-m", "tastemaker", *args]
    shown = args if len(args) < 8 else args[:4] + [f"… ({len(args) - 5} more)", args[-1]]
    print(f"$ tastemaker {' '.join(shown)}", flush=True)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"stage {name} failed with exit code {os.waitstatus_to_exitcode(status)}")
    peak_gib = usage.ru_maxrss / 1024 ** 2  # ru_maxrss is in KiB on Linux
    print(f"  {name}: {seconds:.1f} s, peak {peak_gib:.2f} GiB", flush=True)
    return {"stage": name, "seconds": round(seconds, 1), "peak_rss_gib": round(peak_gib, 2)}


def make_world(out: Path, users: int, tracks: int, events: int, seed: int) -> Path:
    marker = out / "world" / "world.json"
    if marker.exists():
        doc = json.loads(marker.read_text())
        if doc.get("bench_sizes") == [users, tracks, events, seed]:
            print(f"reusing the world in {out / 'world'}")
            return out / "world"
    shutil.rmtree(out / "world", ignore_errors=True)
    cmd = [sys.executable, str(ROOT / "benchmarks" / "make_scale_world.py"), "--users", str(users),
           "--tracks", str(tracks), "--events", str(events), "--seed", str(seed),
           "--out", str(out / "world"), "--format", "parquet"]
    subprocess.run(cmd, check=True)
    doc = json.loads(marker.read_text())
    doc["bench_sizes"] = [users, tracks, events, seed]
    marker.write_text(json.dumps(doc))
    return out / "world"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=20_000)
    ap.add_argument("--tracks", type=int, default=5_000)
    ap.add_argument("--events", type=int, default=550_000)
    ap.add_argument("--factors", type=int, default=64)
    ap.add_argument("--iterations", type=int, default=15)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "bench-out")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--world", type=Path, default=None,
                    help="A world already written by make_scale_world.py (its sizes are reported)")
    args = ap.parse_args()

    if args.world:
        world = args.world
        sizes = json.loads((world / "world.json").read_text())["sizes"]
        args.users, args.tracks, args.events = sizes["users"], sizes["tracks"], sizes["events"]
    else:
        world = make_world(args.out, args.users, args.tracks, args.events, args.seed)
    home = args.out / "home"
    shutil.rmtree(home, ignore_errors=True)
    env = {**os.environ, "TASTEMAKER_HOME": str(home), "TASTEMAKER_QUIET": "1"}
    event_files = sorted(str(p) for p in world.glob("events*.parquet")) or [str(world / "events.csv.gz")]
    stages = [
        run_stage("ingest catalog", ["ingest", "catalog", str(world / "catalog.csv")], env),
        run_stage("ingest events", ["ingest", "events", *event_files], env),
        run_stage("train", ["train", "collaborative", "--factors", str(args.factors),
                            "--iterations", str(args.iterations)], env),
        run_stage("weekly generate", ["weekly", "generate", "--week", "2026-W48"], env),
    ]
    total = sum(s["seconds"] for s in stages)
    peak = max(s["peak_rss_gib"] for s in stages)
    size = f"{args.users:,} users × {args.tracks:,} tracks × {args.events:,} events"
    print(f"\n### {size}\n")
    print("| stage | seconds | peak RSS (GiB) |\n|---|---:|---:|")
    for s in stages:
        print(f"| {s['stage']} | {s['seconds']:.1f} | {s['peak_rss_gib']:.2f} |")
    print(f"| **total** | **{total:.1f}** ({total / 60:.1f} min) | **{peak:.2f}** |")
    if args.json:
        args.json.write_text(json.dumps({"size": size, "stages": stages, "total_seconds": total,
                                         "peak_rss_gib": peak, "machine": platform.platform(),
                                         "cpus": os.cpu_count()}, indent=2))


if __name__ == "__main__":
    main()
