"""Speed and effect of flow ordering (`tastemaker.blend.flow`) on demo-like weekly lists.

    python benchmarks/bench_flow.py                          # 8,192 lists of 30, 3 repeats
    python benchmarks/bench_flow.py --lists 65536 --unknown 0.2 --passes 3

Each list is what a weekly list of the demo world looks like: 30 tracks drawn from one user's two
or three neighbouring styles (`tastemaker.demo.styles`), each with its style's tempo, key, mode and
loudness ranges, in score order (random with respect to sound); a share ``--unknown`` of the
tracks has no analysis (all four features unknown). Prints lists per second (best of
``--repeat``; NumPy runs it on one thread) and the mean transition cost in score order, after the greedy start
alone (``passes=0``) and after 2-opt; CPU seconds too, as the wall clock suffers most when
other work shares the machine.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")       # NumPy's elementwise work is one thread anyway

import numpy as np


def demo_lists(n: int, size: int, unknown: float, seed: int) -> dict[str, np.ndarray]:
    """(n, size) tempo, key, mode, loudness of lists drawn like the demo world's."""
    from tastemaker.demo.styles import STYLES, style_similarity

    rng = np.random.default_rng(seed)
    sim = style_similarity(STYLES) * (1 - np.eye(len(STYLES)))
    main = rng.integers(len(STYLES), size=n)
    cum = np.cumsum(sim[main], axis=1)
    near = (cum < rng.random(n)[:, None] * cum[:, -1:]).sum(axis=1)
    style = np.where(rng.random((n, size)) < 0.7, main[:, None], near[:, None])

    def within(name: str) -> np.ndarray:
        lo, hi = np.array([getattr(s, name) for s in STYLES], dtype=np.float64).T
        return lo[style] + rng.random((n, size)) * (hi - lo)[style]

    keys = [np.array(s.keys) for s in STYLES]
    pick = rng.integers(0, 1 << 30, size=(n, size))
    key = np.array([k[p % len(k)] for k, p in zip((keys[s] for s in style.ravel()), pick.ravel())])
    key = np.where(rng.random(n * size) < 0.8, key, rng.integers(12, size=n * size)).reshape(n, size)
    major = np.array([s.major for s in STYLES])[style]
    lists = {"tempo": np.round(within("tempo"), 1), "key": key,
             "mode": (rng.random((n, size)) < major).astype(np.int64),
             "loudness": np.round(within("loudness"), 1)}
    gone = rng.random((n, size)) < unknown
    lists["tempo"][gone], lists["loudness"][gone] = np.nan, np.nan
    lists["key"][gone], lists["mode"][gone] = -1, -1
    return lists


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lists", type=int, default=8192)
    parser.add_argument("--size", type=int, default=30)
    parser.add_argument("--unknown", type=float, default=0.05, help="share of tracks never analysed")
    parser.add_argument("--passes", type=int, default=None, help="2-opt sweeps [default: flow.PASSES]")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from tastemaker.blend.flow import PASSES, flow_order_batch, transition_cost

    passes = PASSES if args.passes is None else args.passes
    lists = demo_lists(args.lists, args.size, args.unknown, args.seed)
    score = transition_cost(**lists)
    print(f"{args.lists:,} lists of {args.size}, {args.unknown:.0%} of tracks unknown, one thread")
    print(f"{'order':28s} {'wall s':>7s} {'CPU s':>7s} {'lists/s':>9s} {'mean cost':>10s} {'vs score':>9s}")
    print(f"{'score order':28s} {'':>7s} {'':>7s} {'':>9s} {np.nanmean(score):10.4f} {'':>9s}")
    for label, p in (("greedy only (passes=0)", 0), (f"greedy + 2-opt (passes={passes})", passes)):
        best, cpu, order = np.inf, np.inf, None
        for _ in range(args.repeat):
            started, cpu_started = time.perf_counter(), time.process_time()
            order = flow_order_batch(**lists, passes=p)
            best = min(best, time.perf_counter() - started)
            cpu = min(cpu, time.process_time() - cpu_started)
        cost = transition_cost(**lists, order=order)
        assert np.all(cost <= score + 1e-9), "flow order costs more than score order"
        change = 1 - np.nanmean(cost) / np.nanmean(score)
        print(f"{label:28s} {best:7.3f} {cpu:7.3f} {args.lists / best:9,.0f} {np.nanmean(cost):10.4f} "
              f"{-change:9.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
