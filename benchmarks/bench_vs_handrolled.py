"""tastemaker's collaborative-only week against the script a user would write instead, in one run.

For each size, one world from the demo generator at scale (Parquet event files; tracks = users / 5,
events = 50 × users, as the SPEC's 1M × 200k × 50M world), then each stage as a child process,
with its wall time and peak resident memory:

* **tastemaker**, through the real CLI on a new home (``[als] tune = false``, 64 factors × 15
  iterations, ``[neighbours] enabled = false``: the collaborative model alone):
  ``ingest catalog`` + ``ingest events`` → ``train collaborative`` → ``weekly generate
  --ranking collaborative`` (30 never-heard tracks for every user, reasons, flow order, written
  atomically into the warehouse);
* **the hand-rolled script** (`HANDROLLED`, below, ~30 lines): DuckDB aggregates the event
  files into plays per (user, track), `implicit` fits ALS (64 × 15) on them, ``recommend`` gives
  every user 30 tracks they never played, written to one Parquet file.

Printed: seconds and peak RSS per stage, the ratio tastemaker / script per stage and in total,
and (over sizes) how each grows with users. The issue's goal is a total ratio ≤ 0.5.

    python benchmarks/bench_vs_handrolled.py --sizes 100000,300000 --json bench-out/vs-handrolled.json
    python benchmarks/bench_vs_handrolled.py --sizes 1000000          # ~1 h on 2 cores today
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pipeline import ROOT, make_world  # noqa: E402

#: what a user would write instead of tastemaker: each stage prints one JSON line
HANDROLLED = r'''
import glob, json, resource, sys, time
import duckdb, implicit, numpy as np, pyarrow as pa, pyarrow.parquet as pq, scipy.sparse as sp

world, out, factors, iterations = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def done(stage, t0):
    print(json.dumps({"stage": stage, "seconds": round(time.perf_counter() - t0, 1),
                      "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)}), flush=True)

t0 = time.perf_counter()
con = duckdb.connect()
files = sorted(glob.glob(f"{world}/events*.parquet"))
pairs = con.sql(f"""
    WITH p AS (SELECT user_id, track_id, sum(coalesce("count", 1)) AS plays FROM read_parquet({files!r})
               WHERE kind = 'play' GROUP BY ALL)
    SELECT dense_rank() OVER (ORDER BY user_id) - 1 AS u, dense_rank() OVER (ORDER BY track_id) - 1 AS t,
           user_id, track_id, plays FROM p""").to_arrow_table()
u, t = pairs["u"].to_numpy(), pairs["t"].to_numpy()
user_items = sp.csr_matrix((pairs["plays"].to_numpy().astype(np.float32), (u, t)))
users = np.empty(u.max() + 1, object); users[u] = pairs["user_id"].to_numpy(zero_copy_only=False)
tracks = np.empty(t.max() + 1, object); tracks[t] = pairs["track_id"].to_numpy(zero_copy_only=False)
done("aggregate", t0)

t0 = time.perf_counter()
model = implicit.cpu.als.AlternatingLeastSquares(factors=factors, iterations=iterations, random_state=0)
model.fit(user_items, show_progress=False)
done("fit", t0)

t0 = time.perf_counter()
ids, scores = model.recommend(np.arange(user_items.shape[0]), user_items, N=30, filter_already_liked_items=True)
n = ids.shape[0]
pq.write_table(pa.table({"user_id": np.repeat(users, 30), "position": np.tile(np.arange(1, 31), n),
                         "track_id": tracks[ids.ravel()], "score": scores.ravel()}), out)
done("recommend + write", t0)
'''


def run(cmd: list[str], env: dict) -> tuple[float, float, str]:
    """Run a child; (wall seconds, peak RSS GiB of the child, its stdout)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} … failed with exit code {os.waitstatus_to_exitcode(status)}")
    return time.perf_counter() - start, usage.ru_maxrss / 2 ** 20, out


def tastemaker(world: Path, home: Path, factors: int, iterations: int) -> list[dict]:
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    (home / "tastemaker.toml").write_text("[als]\ntune = false\n[neighbours]\nenabled = false\n")
    env = {**os.environ, "TASTEMAKER_QUIET": "1", "TASTEMAKER_HOME": str(home)}
    cli = [sys.executable, "-m", "tastemaker"]
    events = sorted(str(p) for p in world.glob("events*.parquet"))
    stages = []
    for name, runs in (
            ("ingest", [["ingest", "catalog", str(world / "catalog.csv")], ["ingest", "events", *events]]),
            ("train", [["train", "collaborative", "--factors", str(factors), "--iterations", str(iterations)]]),
            ("weekly", [["weekly", "generate", "--week", "2026-W48", "--ranking", "collaborative"]])):
        seconds, peak = 0.0, 0.0
        for args in runs:
            s, p, _ = run(cli + args, env)
            seconds, peak = seconds + s, max(peak, p)
        print(f"  tastemaker {name}: {seconds:.1f} s, peak {peak:.2f} GiB", flush=True)
        stages.append({"stage": name, "seconds": round(seconds, 1), "peak_rss_gib": round(peak, 2)})
    return stages


def handrolled(world: Path, out: Path, factors: int, iterations: int) -> list[dict]:
    script = out / "handrolled.py"
    script.write_text(HANDROLLED)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}      # implicit's own threads, as it advises
    _, peak, stdout = run([sys.executable, str(script), str(world), str(out / "handrolled.parquet"),
                           str(factors), str(iterations)], env)
    stages = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    for s in stages:
        print(f"  script {s['stage']}: {s['seconds']:.1f} s, peak so far {s['peak_rss_gib']:.2f} GiB", flush=True)
    return stages


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100000,300000", help="users per world, comma-separated")
    ap.add_argument("--factors", type=int, default=64)
    ap.add_argument("--iterations", type=int, default=15)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "bench-out" / "vs-handrolled")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    results = []
    for users in (int(x) for x in args.sizes.split(",")):
        tracks, events = max(5_000, users // 5), 50 * users
        out = args.out / f"u{users}"
        out.mkdir(parents=True, exist_ok=True)
        print(f"\n## {users:,} users × {tracks:,} tracks × ~{events:,} events", flush=True)
        world = make_world(out, users, tracks, events, args.seed)
        ours = tastemaker(world, out / "home", args.factors, args.iterations)
        theirs = handrolled(world, out, args.factors, args.iterations)
        sizes = json.loads((world / "world.json").read_text())["sizes"]
        results.append({"users": users, "sizes": sizes, "tastemaker": ours, "script": theirs})

    print("\n| users | stage | tastemaker (s) | peak (GiB) | script (s) | peak (GiB) | ratio |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for r in results:
        for a, b in zip(r["tastemaker"], r["script"]):
            print(f"| {r['users']:,} | {a['stage']} ↔ {b['stage']} | {a['seconds']:.1f} | {a['peak_rss_gib']:.2f} | "
                  f"{b['seconds']:.1f} | {b['peak_rss_gib']:.2f} | {a['seconds'] / max(b['seconds'], 0.1):.2f} |")
        ta, tb = sum(s["seconds"] for s in r["tastemaker"]), sum(s["seconds"] for s in r["script"])
        print(f"| {r['users']:,} | **total** | **{ta:.1f}** | | **{tb:.1f}** | | **{ta / tb:.2f}** |")
    if len(results) > 1:
        first, last = results[0], results[-1]
        grow = last["users"] / first["users"]
        print(f"\ngrowth from {first['users']:,} to {last['users']:,} users ({grow:.0f}×):")
        for i, a in enumerate(last["tastemaker"]):
            print(f"  tastemaker {a['stage']}: {a['seconds'] / max(first['tastemaker'][i]['seconds'], 0.1):.1f}×, "
                  f"script {last['script'][i]['stage']}: "
                  f"{last['script'][i]['seconds'] / max(first['script'][i]['seconds'], 0.1):.1f}×")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"results": results, "machine": platform.platform(),
                                         "cpus": os.cpu_count()}, indent=2))


if __name__ == "__main__":
    main()
