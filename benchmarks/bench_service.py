"""Latency of the service's weekly lookups under a fixed request rate, on 127.0.0.1 only; then
reads and posts while the batch rewrites the week.

    python benchmarks/bench_service.py --home HOME --rates 100 200 400 --seconds 10 \\
        --search 200 900 --during-weekly --json bench-out/service.json

Starts `tastemaker serve` on the home (which publishes its snapshot), samples --users listeners
of the home, then for each rate sends GET /v1/users/{id}/weekly at that rate (open loop: the
schedule does not wait for slow answers; latency counts from when a request was due) for
--seconds, and reports p50, p99, the slowest answer and every non-200. --search bisects for the
highest rate with p99 < 50 ms. --during-weekly runs `weekly generate` on the home while reads go
on at --mix-rate and a writer posts events (each post twice, one Idempotency-Key), then
`ingest spool`, and counts the posted events found in the warehouse. The client runs on the same
machine as the server (2 processes), so the two share its cores. Markdown on stdout; --json saves.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from tastemaker import snapshots
from tastemaker.config import load_settings
from tastemaker.engine import DuckDBEngine
from tastemaker.service.snapshot import LOOK_EVERY as snapshot_look


def wait_ready(base: str, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("the service did not become ready")


def _client(base: str, paths: list[str], due: np.ndarray, threads: int, out) -> None:
    """One client process: its share of the schedule from `threads` keep-alive connections
    (the standard library's HTTP client: a fraction of httpx's cost per request)."""
    host, port = base.split("//")[1].split(":")
    latencies = np.full(len(paths), np.nan)
    statuses = np.zeros(len(paths), dtype=np.int32)
    nxt = iter(range(len(paths)))
    lock = threading.Lock()

    def worker():
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        while True:
            with lock:
                i = next(nxt, None)
            if i is None:
                conn.close()
                return
            wait = due[i] - time.time()
            if wait > 0:
                time.sleep(wait)
            try:
                conn.request("GET", paths[i])
                r = conn.getresponse()
                r.read()
                statuses[i] = r.status
            except (OSError, http.client.HTTPException):
                statuses[i] = -1
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=10)
            latencies[i] = (time.time() - due[i]) * 1000        # from when it was due

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    out.put((latencies.tolist(), statuses.tolist()))


def load(base: str, paths: list[str], rate: float, seconds: float, clients: int, processes: int = 2) -> dict:
    """Open loop: request i is due at start + i / rate whatever the answers before it; latency
    counts from when it was due, so a slow server cannot hide its queue."""
    n = int(rate * seconds)
    rng = random.Random(0)
    picks = [rng.choice(paths) for _ in range(n)]
    due = time.time() + 0.5 + np.arange(n) / rate
    out = mp.get_context("fork").Queue()
    procs = [mp.get_context("fork").Process(target=_client, args=(
        base, picks[k::processes], due[k::processes], max(1, clients // processes), out)) for k in range(processes)]
    for p in procs:
        p.start()
    parts = [out.get() for _ in procs]
    for p in procs:
        p.join()
    latencies = np.concatenate([np.asarray(lat) for lat, _ in parts])
    statuses = np.concatenate([np.asarray(st) for _, st in parts])
    ok = latencies[~np.isnan(latencies)]
    return {"rate": rate, "requests": n, "p50_ms": round(float(np.percentile(ok, 50)), 1),
            "p99_ms": round(float(np.percentile(ok, 99)), 1), "max_ms": round(float(ok.max()), 1),
            "no_list": int((statuses == 204).sum()), "errors": int((~np.isin(statuses, (200, 204))).sum())}


def peak_rss_mib(pid: int) -> float:
    """A process's peak resident memory so far (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def highest_rate(base: str, paths: list[str], lo: float, hi: float, seconds: float, clients: int,
                 p99_ms: float = 50, steps: int = 4, report=lambda r: r) -> tuple[float, list[dict]]:
    """Bisection between a rate that meets p99 < `p99_ms` and one that does not."""
    tried = []
    for _ in range(steps):
        mid = round((lo + hi) / 2, -1)
        r = report(load(base, paths, mid, seconds, clients))
        tried.append(r)
        if r["p99_ms"] < p99_ms and r["errors"] == 0:
            lo = mid
        else:
            hi = mid
    return lo, tried


def during_weekly(args, base: str, paths: list[str]) -> dict:
    """Reads at --mix-rate and posts of events (each post sent twice with one Idempotency-Key)
    while `tastemaker weekly generate` rewrites the latest week; then `ingest spool`, and every
    posted event is looked for in the warehouse."""
    from tastemaker.service import keys
    settings = load_settings(args.home)
    _, token = keys.create(settings, "write", "bench_service")
    tag = f"bench{int(time.time())}"
    latest = httpx.get(f"{base}/v1/weeks").json()["payload"]["weeks"][-1]
    before = httpx.get(f"{base}{paths[0]}").json()["payload"]["run_id"]
    started = time.time()
    batch = subprocess.Popen([sys.executable, "-m", "tastemaker", "--home", str(args.home), "-q", "weekly",
                              "generate", "--week", latest], env={**os.environ, "TASTEMAKER_QUIET": "1"},
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    posted, post_errors, replays, stop = [0], [0], [0], threading.Event()

    def poster():
        with httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Token {token}"}) as client:
            n = 0
            while not stop.is_set():
                events = [{"user_id": f"{tag}-u{n % 50}", "track_id": f"{tag}-t{(n * 7 + i) % 400}",
                           "ts": f"2026-11-30T{(n // 60) % 24:02d}:{n % 60:02d}:{i % 60:02d}", "kind": "play",
                           "ms_played": 200000} for i in range(args.post_size)]
                key = {"Idempotency-Key": f"{tag}-{n}"}
                for attempt in range(2):                  # the retry of a client that lost the answer
                    r = client.post("/v1/events", json={"events": events}, headers=key)
                    if r.status_code not in (200, 202) or r.json()["payload"]["quarantined"]:
                        post_errors[0] += 1
                    replays[0] += r.headers.get("idempotent-replayed") == "true"
                posted[0] += len(events)
                n += 1
                stop.wait(1 / args.posts_per_second)

    thread = threading.Thread(target=poster)
    thread.start()
    windows = []
    while batch.poll() is None:
        windows.append(load(base, paths, args.mix_rate, 10, args.clients))
    stop.set()
    thread.join()
    weekly_s = time.time() - started
    if batch.returncode:
        print("weekly generate failed:", batch.stderr.read()[-2000:], flush=True)
    after, deadline = before, time.time() + 120              # the service swaps to the new snapshot
    while after == before and time.time() < deadline:
        time.sleep(snapshot_look)
        after = httpx.get(f"{base}{paths[0]}").json()["payload"]["run_id"]
    ingest = subprocess.run([sys.executable, "-m", "tastemaker", "--home", str(args.home), "-q", "ingest", "spool"],
                            env={**os.environ, "TASTEMAKER_QUIET": "1"}, capture_output=True, text=True)
    with DuckDBEngine.open(settings.warehouse_path, read_only=True) as engine:
        found = engine.con.execute("SELECT count(*) FROM events e JOIN users u USING (user_idx) "
                                   "WHERE starts_with(u.user_id, ?)", [tag + "-"]).fetchone()[0]
    reads = sum(w["requests"] for w in windows)
    return {"weekly_exit": batch.returncode, "weekly_s": round(weekly_s, 1), "reads": reads,
            "read_errors": sum(w["errors"] for w in windows),
            "read_p50_ms": max(w["p50_ms"] for w in windows), "read_p99_ms": max(w["p99_ms"] for w in windows),
            "events_posted": posted[0], "post_errors": post_errors[0], "replays": replays[0],
            "ingest_exit": ingest.returncode, "events_found": int(found), "new_week_served": after != before}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--port", type=int, default=8799)
    ap.add_argument("--rates", type=float, nargs="+", default=[100, 200, 400])
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--users", type=int, default=20_000, help="distinct listeners asked for")
    ap.add_argument("--search", type=float, nargs=2, metavar=("LO", "HI"), default=None,
                    help="find the highest rate with p99 < 50 ms between LO and HI (bisection)")
    ap.add_argument("--during-weekly", action="store_true",
                    help="then reads and posts while weekly generate rewrites the latest week")
    ap.add_argument("--mix-rate", type=float, default=100, help="reads/s during the weekly run")
    ap.add_argument("--posts-per-second", type=float, default=5)
    ap.add_argument("--post-size", type=int, default=100)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    base = f"http://127.0.0.1:{args.port}"
    toml = args.home / "tastemaker.toml"
    if "[service]" not in (toml.read_text() if toml.exists() else ""):
        # one client address sends everything: lift the per-address budget for the benchmark
        with open(toml, "a") as f:
            f.write("\n[service]\nrequests_per_minute = 100000000\n")
        print(f"wrote [service] requests_per_minute = 100000000 into {toml}")
    snapshots.folder(load_settings(args.home)).mkdir(exist_ok=True)
    server = subprocess.Popen([sys.executable, "-m", "tastemaker", "--home", str(args.home), "serve",
                               "--port", str(args.port)], env={**os.environ, "TASTEMAKER_QUIET": "1"})
    found: dict = {}
    status = None
    try:
        wait_ready(base)
        with DuckDBEngine.open(snapshots.current(load_settings(args.home)), read_only=True) as engine:
            known = [u for u in engine.user_ids().tolist() if u is not None]
        # spread over the home; a user without a list this week is answered 204 (counted apart)
        users = random.Random(1).sample(known, min(args.users, len(known)))
        status = httpx.get(f"{base}/v1/status").json()["payload"]
        paths = [f"/v1/users/{u}/weekly" for u in users]
        load(base, paths, 50, 2, args.clients)                       # warm-up
        print(f"\n{status['counts'].get('users', 0):,} users in the home, {len(set(users)):,} asked for; "
              f"{args.clients} client threads in 2 processes on the same machine\n")
        print("| requests/s | requests | p50 (ms) | p99 (ms) | slowest (ms) | 204 (no list) | errors |\n"
              "|---:|---:|---:|---:|---:|---:|---:|", flush=True)

        def row(r):
            print(f"| {r['rate']:.0f} | {r['requests']:,} | {r['p50_ms']} | {r['p99_ms']} | {r['max_ms']} | "
                  f"{r['no_list']} | {r['errors']} |", flush=True)
            return r
        found["results"] = [row(load(base, paths, rate, args.seconds, args.clients)) for rate in args.rates]
        if args.search:
            found["highest_rate"], found["search"] = highest_rate(base, paths, *args.search, args.seconds,
                                                                  args.clients, report=row)
            print(f"\nhighest rate with p99 < 50 ms and no errors: {found['highest_rate']:.0f} requests/s", flush=True)
        if args.during_weekly:
            found["during_weekly"] = during_weekly(args, base, paths)
            print("\nduring weekly generate:", json.dumps(found["during_weekly"], indent=1))
        found["server_peak_rss_mib"] = peak_rss_mib(server.pid)
        print(f"\nthe server's peak resident memory: {found['server_peak_rss_mib']:,.0f} MiB", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
        if args.json:
            args.json.write_text(json.dumps({"home_users": status["counts"].get("users") if status else None,
                                             **found}, indent=2))


if __name__ == "__main__":
    main()
