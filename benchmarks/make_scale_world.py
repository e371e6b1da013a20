"""Generate and write a benchmark-scale demo world, printing the time and peak memory.

    python benchmarks/make_scale_world.py --users 1000000 --tracks 200000 --events 50000000 \\
        --out bench-out/scale-world --format parquet

Events are generated and written one chunk of users at a time (``--chunk-users``), so memory
stays bounded whatever the size. The sizes are reached as: artists = tracks / tracks-per-artist,
events per user-week = events / (users × weeks) (the generator calibrates to it, so the count
written is close to, not exactly, ``--events``).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

from tastemaker.demo import generate_world, write_world


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--tracks", type=int, default=200_000)
    ap.add_argument("--events", type=int, default=50_000_000)
    ap.add_argument("--weeks", type=int, default=8)
    ap.add_argument("--tracks-per-artist", type=int, default=10)
    ap.add_argument("--chunk-users", type=int, default=25_000)
    ap.add_argument("--out", required=True)
    ap.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)

    t0 = time.perf_counter()
    world = generate_world(
        n_users=a.users, n_artists=max(1, a.tracks // a.tracks_per_artist),
        tracks_per_artist=a.tracks_per_artist, weeks=a.weeks,
        events_per_user_week=a.events / (a.users * a.weeks), seed=a.seed,
        chunk_users=a.chunk_users, materialize=False)
    t1 = time.perf_counter()
    info = write_world(world, a.out, events_format=a.format)
    t2 = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    sizes = info["sizes"]
    print(f"users {sizes['users']:,}  tracks {sizes['tracks']:,}  events {sizes['events']:,}  "
          f"({len(info['files']['events'])} {a.format} file(s) in {a.out})")
    print(f"catalogue + calibration {t1 - t0:.1f} s, listening generated and written "
          f"{t2 - t1:.1f} s, total {t2 - t0:.1f} s, "
          f"{sizes['events'] / max(t2 - t0, 1e-9) / 1e6:.2f} M events/s")
    print(f"peak memory (max RSS) {peak_mb:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
