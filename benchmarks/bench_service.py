"""Latency of the service's weekly lookups under a fixed request rate, on 127.0.0.1 only.

    python benchmarks/bench_service.py --home bench-out/home --rates 100 200 400 --seconds 15

Starts `tastemaker serve` on the home (which publishes its snapshot), takes up to 2,000 listeners
from /v1/users, then for each rate sends GET /v1/users/{id}/weekly at that rate (open loop: the
schedule does not wait for slow answers) for --seconds, from --clients threads, and reports p50,
p99, the slowest answer and every non-200. The client runs on the same machine as the server, so
the two share its cores. Results as a Markdown table; --json saves them.
"""

from __future__ import annotations

import argparse
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


def load(base: str, users: list[str], rate: float, seconds: float, clients: int) -> dict:
    n = int(rate * seconds)
    start = time.perf_counter() + 0.2
    due = start + np.arange(n) / rate
    latencies = np.full(n, np.nan)
    statuses = np.zeros(n, dtype=np.int32)
    rng = random.Random(0)
    picks = [rng.choice(users) for _ in range(n)]
    nxt = iter(range(n))
    lock = threading.Lock()

    def worker():
        with httpx.Client(base_url=base, timeout=10) as client:
            while True:
                with lock:
                    i = next(nxt, None)
                if i is None:
                    return
                wait = due[i] - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                try:
                    r = client.get(f"/v1/users/{picks[i]}/weekly")
                    statuses[i] = r.status_code
                except httpx.HTTPError:
                    statuses[i] = -1
                latencies[i] = (time.perf_counter() - due[i]) * 1000   # from when it was due

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = latencies[~np.isnan(latencies)]
    return {"rate": rate, "requests": n, "p50_ms": round(float(np.percentile(ok, 50)), 1),
            "p99_ms": round(float(np.percentile(ok, 99)), 1), "max_ms": round(float(ok.max()), 1),
            "errors": int((statuses != 200).sum())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--port", type=int, default=8799)
    ap.add_argument("--rates", type=float, nargs="+", default=[100, 200, 400])
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    base = f"http://127.0.0.1:{args.port}"
    toml = args.home / "tastemaker.toml"
    if "[service]" not in (toml.read_text() if toml.exists() else ""):
        # one client address sends everything: lift the per-address budget for the benchmark
        with open(toml, "a") as f:
            f.write("\n[service]\nrequests_per_minute = 100000000\n")
        print(f"wrote [service] requests_per_minute = 100000000 into {toml}")
    server = subprocess.Popen([sys.executable, "-m", "tastemaker", "--home", str(args.home), "serve",
                               "--port", str(args.port)], env={**os.environ, "TASTEMAKER_QUIET": "1"})
    try:
        wait_ready(base)
        users = httpx.get(f"{base}/v1/users", params={"count": 1000}).json()["payload"]["users"]
        users += httpx.get(f"{base}/v1/users", params={"count": 1000, "prefix": users[-1][:2]}
                           ).json()["payload"]["users"]
        status = httpx.get(f"{base}/v1/status").json()["payload"]
        load(base, users, 50, 2, args.clients)                       # warm-up
        results = [load(base, users, rate, args.seconds, args.clients) for rate in args.rates]
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"\n{status['counts'].get('users', 0):,} users in the home, {len(set(users)):,} asked for; "
          f"{args.clients} client threads on the same machine\n")
    print("| requests/s | requests | p50 (ms) | p99 (ms) | slowest (ms) | errors |\n|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['rate']:.0f} | {r['requests']:,} | {r['p50_ms']} | {r['p99_ms']} | {r['max_ms']} | {r['errors']} |")
    if args.json:
        args.json.write_text(json.dumps({"home_users": status["counts"].get("users"), "results": results}, indent=2))


if __name__ == "__main__":
    main()
