"""The evaluation protocol of SPEC's "figures to beat" on Last.fm HetRec-2k, with our evaluator.

Users × artists from ``user_artists.dat`` (the listening count is the signal sum, so the
confidence is ``1 + alpha·log(1 + plays/epsilon)`` or its BM25 form, see `tastemaker.signals`);
users with at least 5 artists give a seeded 20% of them to the test; every model's parameters
are chosen by NDCG@K on a validation split cut from train the same way, then refitted on the full
train; lists rank every artist the user has not heard.

    .venv/bin/python benchmarks/eval_hetrec.py                      # the large grid (minutes)
    .venv/bin/python benchmarks/eval_hetrec.py --grid small --json bench-out/hetrec.json
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from tastemaker.config import SignalWeights
from tastemaker.evaluate import compare, holdout_split, validation_split
from tastemaker.evaluate.report import markdown, write_json
from tastemaker.evaluate.runner import MODELS
from tastemaker.evaluate.search import GRID_SIZES
from tastemaker.evaluate.splits import Interactions
from tastemaker.signals import signal_sum

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "hetrec2011-lastfm-2k"


def hetrec_interactions(folder: Path, weights: SignalWeights) -> Interactions:
    """Users × artists with the play count as the signal sum (``weights.play`` per play)."""
    path = Path(folder) / "user_artists.dat"
    if not path.exists():
        sys.exit(f"No {path}: pass --data FOLDER holding HetRec-2k's user_artists.dat")
    df = pd.read_csv(path, sep="\t")
    users, _ = pd.factorize(df["userID"], sort=True)
    items, _ = pd.factorize(df["artistID"], sort=True)
    zeros = np.zeros(len(df))
    s = signal_sum(weights, plays=df["weight"].to_numpy(), short_plays=zeros, saves=zeros,
                   skips=zeros, artist_visits=zeros)
    return Interactions.build(users, items, s, (users.max() + 1, items.max() + 1))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--k", type=int, default=30)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--grid", choices=GRID_SIZES, default="large")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--no-search", action="store_true", help="class defaults, no validation search")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    weights = SignalWeights()
    data = hetrec_interactions(args.data, weights)
    split = holdout_split(data, fraction=0.2, min_items=5, seed=args.seed)
    split.item_artists = np.arange(data.shape[1])      # every item is an artist
    validation = None if args.no_search else validation_split(split)
    comp = compare(split, weights=weights, models=[m for m in args.models.split(",") if m],
                   k=args.k, seed=args.seed, validation=validation, size=args.grid,
                   show_progress=True)
    print(markdown(comp))
    print(f"({time.perf_counter() - t0:.0f} s, grid {args.grid if validation else 'none'})")
    if args.json:
        print(f"JSON: {write_json(comp, args.json, extra={'dataset': str(args.data), 'grid': args.grid})}")


if __name__ == "__main__":
    main()
