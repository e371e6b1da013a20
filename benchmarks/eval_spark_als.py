"""Spark MLlib's ALS through tastemaker against `implicit`'s, on the SPEC's Last.fm HetRec protocol.

Users × artists from HetRec-2k's ``user_artists.dat`` with the product's default signal weights;
per seed, a per-user 20 % hold-out (users with at least 5 artists), every parameter chosen by
NDCG@30 on a validation split cut from train the same way (seed + 1), then refitted on all of
train and scored on the test: full ranking of every unheard artist, K = 30. Both engines get the
same confidence matrix and the same grid of λ: `implicit`'s λ as it is, MLlib's λ scaled per
positive pair (ALS-WR; 0 in ``--spark-reg`` is λ mapped by `mapped_reg_param`). Prints NDCG@30,
recall@30 and catalogue coverage per seed, their mean and spread, and each fit's seconds.

    .venv/bin/python benchmarks/eval_spark_als.py                       # seeds 0, 1, 2 (~15 min)
    .venv/bin/python benchmarks/eval_spark_als.py --seeds 0 --json bench-out/spark-als.json

With ``--demo-home HOME`` (a home made by ``tastemaker demo``) it scores instead the next week's
discoveries on the demo world's time split (train on every week before the last full one, score
that week's new plays; λ chosen on the week before it): recall@30 of `implicit` and of MLlib.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_hetrec import DEFAULT_DATA, hetrec_interactions  # noqa: E402

from tastemaker.config import ALSParams, SignalWeights, load_settings  # noqa: E402
from tastemaker.engine.spark.als import SparkALS  # noqa: E402
from tastemaker.engine import open_engine  # noqa: E402
from tastemaker.evaluate import evaluate_model, holdout_split, validation_split  # noqa: E402
from tastemaker.evaluate.splits import time_split  # noqa: E402
from tastemaker.models.als import ALS  # noqa: E402


def models(kind: str, value: float, params: ALSParams, settings):
    if kind == "implicit":
        return ALS(factors=params.factors, regularization=value, iterations=params.iterations, seed=params.seed)
    return SparkALS(factors=params.factors, regularization=params.regularization, iterations=params.iterations,
                    seed=params.seed, settings=settings, reg_param=value)


def run_seed(data, seed: int, grids: dict, params: ALSParams, settings, weights, k: int) -> dict:
    split = holdout_split(data, fraction=0.2, min_items=5, seed=seed)
    split.item_artists = np.arange(data.shape[1])
    return run_split(split, validation_split(split), f"seed {seed}", grids, params, settings, weights, k)


def run_split(split, val, label: str, grids: dict, params: ALSParams, settings, weights, k: int) -> dict:
    out = {}
    for kind, grid in grids.items():
        tried = []
        for value in grid:
            r = evaluate_model(models(kind, value, params, settings), val, weights=weights, k=k)
            tried.append((r.metrics["ndcg"], value, r.fit_seconds))
            print(f"  {label} {kind:8s} λ {value:<8g} validation NDCG@{k} {r.metrics['ndcg']:.4f} "
                  f"(fit {r.fit_seconds:.1f} s)", flush=True)
        best = max(tried)[1]
        r = evaluate_model(models(kind, best, params, settings), split, weights=weights, k=k)
        out[kind] = {"lambda": best, "fit_seconds": r.fit_seconds, **{m: round(float(v), 4) for m, v in r.metrics.items()},
                     "validation": [{"lambda": v, "ndcg": round(float(n), 4)} for n, v, _ in tried]}
        print(f"{label} {kind:8s} λ {best:g}: test NDCG@{k} {r.metrics['ndcg']:.4f}, recall "
              f"{r.metrics['recall']:.4f}, coverage {r.metrics['coverage']:.3f} (fit {r.fit_seconds:.1f} s)", flush=True)
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--k", type=int, default=30)
    ap.add_argument("--factors", type=int, default=64)
    ap.add_argument("--iterations", type=int, default=15)
    ap.add_argument("--implicit-reg", default="10,20,50,100", help="implicit's λ grid")
    ap.add_argument("--spark-reg", default="0,0.03,0.1,0.3,1", help="MLlib's λ grid (0: mapped from [als])")
    ap.add_argument("--home", type=Path, default=Path("bench-out/spark-home"), help="Spark's working folder")
    ap.add_argument("--demo-home", type=Path, default=None, help="score a demo home's next week instead")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.demo_home:
        return demo_week(args)
    if not (args.data / "user_artists.dat").exists():
        sys.exit(f"No {args.data / 'user_artists.dat'}: pass --data FOLDER holding HetRec-2k")
    weights = SignalWeights()
    params = ALSParams(factors=args.factors, iterations=args.iterations)
    settings = load_settings(args.home)
    grids = {"implicit": [float(v) for v in args.implicit_reg.split(",")],
             "spark": [float(v) for v in args.spark_reg.split(",")]}
    data = hetrec_interactions(args.data, weights)
    t0 = time.perf_counter()
    runs = {int(s): run_seed(data, int(s), grids, params, settings, weights, args.k) for s in args.seeds.split(",")}
    print(f"\n| engine | NDCG@{args.k} | recall@{args.k} | coverage | fit s | λ chosen |")
    print("|---|---|---|---|---|---|")
    summary = {}
    for kind in grids:
        cols = {m: np.array([runs[s][kind][m] for s in runs]) for m in ("ndcg", "recall", "coverage", "fit_seconds")}
        summary[kind] = {m: [round(float(v.mean()), 4), round(float(v.std(ddof=1)) if len(v) > 1 else 0.0, 4)]
                         for m, v in cols.items()}
        fmt = lambda m: f"{cols[m].mean():.4f} ± {cols[m].std(ddof=1) if len(cols[m]) > 1 else 0:.4f}"  # noqa: E731
        print(f"| {kind} | {fmt('ndcg')} | {fmt('recall')} | {fmt('coverage')} | {cols['fit_seconds'].mean():.1f} | "
              f"{', '.join(format(runs[s][kind]['lambda'], 'g') for s in runs)} |")
    print(f"({time.perf_counter() - t0:.0f} s; mean ± sd over seeds {args.seeds}; parameters chosen on validation)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"seeds": runs, "summary": summary, "k": args.k,
                                         "factors": args.factors, "iterations": args.iterations}, indent=2))
        print(f"JSON: {args.json}")


def demo_week(args) -> None:
    """Recall of the next week's discoveries on a demo home's time split, both libraries."""
    home = load_settings(args.demo_home)
    weights = home.signals
    params = ALSParams(factors=args.factors, iterations=args.iterations)
    grids = {"implicit": [float(v) for v in args.implicit_reg.split(",")],
             "spark": [float(v) for v in args.spark_reg.split(",")]}
    with open_engine(home, read_only=True) as engine:
        split = time_split(engine, weights)
        val = validation_split(split, engine=engine, weights=weights)
    out = run_split(split, val, f"week {split.info['week_start'][:10]}", grids, params, load_settings(args.home),
                    weights, args.k)
    a, b = out["implicit"]["recall"], out["spark"]["recall"]
    print(f"\nnext week's discoveries, recall@{args.k}: implicit {a:.4f}, MLlib {b:.4f} "
          f"({(b - a) / a:+.1%} relative; {len(split.users):,} users)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"demo_home": str(args.demo_home), "week": split.info["week_start"],
                                         "users": int(len(split.users)), **out}, indent=2))


if __name__ == "__main__":
    main()
