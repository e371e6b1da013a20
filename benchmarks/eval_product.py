"""The product's own weekly lists on a real listening log, scored beside the anchors in one run.

    .venv/bin/python benchmarks/eval_product.py lastfm-hetrec --json bench-out/product-hetrec.json
    .venv/bin/python benchmarks/eval_product.py msd-taste-profile --json bench-out/product-msd.json

For each seed (``--seeds``, default 0 1 2):

1. **Split** — the SPEC hold-out on the raw (user, item, plays) pairs: users with at least 5
   items give a seeded 20 % of them to the test (`tastemaker.evaluate.holdout_split`).
2. **The product** — the training part is written back in the dataset's own file format into a
   scratch folder (HetRec: ``user_artists.dat`` without the held-out pairs, and
   ``user_taggedartists.dat`` without a user's tags on their held-out artists; the Taste Profile:
   the triplets without the held-out pairs, with the song metadata beside them), then a fresh
   home runs the commands a user runs: ``datasets load``, ``train`` (every model that has data:
   ALS and the item-item model, text where there are tags, then the blend's weights and ranker,
   learned from a hold-out of the training part since these logs have no timestamps), ``weekly generate`` and ``weekly export --format json``. The lists are
   scored as exported, in their delivered order (position 1 first), by the raw user and item ids.
   The same home, copied before the week, also generates with ``--ranking collaborative``: the
   collaborative-only list of the same product (the row the blend must beat for users with
   little history).
3. **Anchors** — popularity, item-kNN (BM25), EASE and ALS through `tastemaker.evaluate.compare`
   on the same split: each model's parameters chosen by NDCG@K on a validation hold-out cut from
   the training part (seed + 1), refitted on the whole training part, full ranking of unheard
   items.

Every metric is the evaluator's (`tastemaker.evaluate.metrics`), over the same test users and the
same catalogue. The table shows the mean over seeds ± the standard error of that mean (the spread
of the seeds, s/√n), and each seed's NDCG; "little history" is the users with at most
``--little`` training items.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tastemaker.blend.rank import LIGHT
from tastemaker.config import SignalWeights
from tastemaker.evaluate import compare, holdout_split, validation_split
from tastemaker.evaluate.metrics import ranking_metrics
from tastemaker.evaluate.search import GRID_SIZES
from tastemaker.evaluate.splits import Interactions, Split
from tastemaker.signals import signal_sum

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ANCHORS = ("popularity", "itemknn", "ease", "als")
SHOWN = ("ndcg", "recall", "coverage", "novelty")
TASTEMAKER = Path(sys.executable).with_name("tastemaker")


@dataclass
class Raw:
    """A dataset's (user, item, plays) pairs with their raw ids, and how to write a training part."""

    users: np.ndarray          # raw user ids (str), one per pair
    items: np.ndarray          # raw item ids (str), one per pair
    plays: np.ndarray
    write: callable            # write(folder, keep: bool mask over the pairs) -> the folder to load


def hetrec(folder: Path) -> Raw:
    ua = pd.read_csv(folder / "user_artists.dat", sep="\t")
    tagged = pd.read_csv(folder / "user_taggedartists.dat", sep="\t")

    def write(out: Path, keep: np.ndarray) -> Path:
        ua[keep].to_csv(out / "user_artists.dat", sep="\t", index=False)
        held = set(zip(ua["userID"][~keep], ua["artistID"][~keep]))
        hidden = np.fromiter((p in held for p in zip(tagged["userID"], tagged["artistID"])), bool, len(tagged))
        tagged[~hidden].to_csv(out / "user_taggedartists.dat", sep="\t", index=False)
        for name in ("artists.dat", "tags.dat"):
            os.symlink(folder / name, out / name)
        return out

    return Raw(ua["userID"].astype(str).to_numpy(), ua["artistID"].astype(str).to_numpy(),
               ua["weight"].to_numpy(dtype=np.float64), write)


def msd(folder: Path) -> Raw:
    triplets = sorted(folder.glob("*triplets*.txt"))
    if not triplets:
        sys.exit(f"No *triplets*.txt in {folder}")
    df = pd.read_csv(triplets[0], sep="\t", header=None, names=["user", "song", "count"], dtype={2: np.int64})
    meta = [f for f in folder.glob("*.csv")]

    def write(out: Path, keep: np.ndarray) -> Path:
        df[keep].to_csv(out / "train_triplets.txt", sep="\t", header=False, index=False)
        for f in meta:
            os.symlink(f, out / f.name)
        return out

    return Raw(df["user"].to_numpy(dtype=str), df["song"].to_numpy(dtype=str),
               df["count"].to_numpy(dtype=np.float64), write)


DATASETS = {"lastfm-hetrec": (hetrec, "hetrec2011-lastfm-2k"), "msd-taste-profile": (msd, "msd-taste-profile-sample")}


def run(home: Path, *args: str, log: Path) -> None:
    """One tastemaker command on `home`; its output goes to `log`, a failure stops the benchmark."""
    cmd = [str(TASTEMAKER), "--home", str(home), *args]
    with open(log, "a") as out:
        out.write(f"$ {' '.join(cmd)}\n")
        out.flush()
        done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "TASTEMAKER_QUIET": "1"})
    if done.returncode:
        sys.exit(f"`{' '.join(args)}` failed (exit {done.returncode}); see {log}")


def write_config(home: Path, overrides: list[str]) -> None:
    """``section.key=value`` overrides (value in TOML syntax) as the home's tastemaker.toml."""
    sections: dict[str, list[str]] = {}
    for item in overrides:
        key, sep, value = item.partition("=")
        section, dot, name = key.partition(".")
        if not (sep and dot and name):
            sys.exit(f"--set {item!r}: expected section.key=value, e.g. blend.discovery=0")
        sections.setdefault(section, []).append(f"{name} = {value}")
    home.mkdir(parents=True, exist_ok=True)
    (home / "tastemaker.toml").write_text("".join(f"[{sec}]\n" + "\n".join(lines) + "\n\n"
                                                  for sec, lines in sections.items()))


def weights_curve(home: Path) -> list[dict]:
    """The fixed blend's grid as the ranker's training scored it on its own hold-out (validation
    recall and coverage per point), from the newest ranker manifest; empty if none."""
    manifests = sorted((home / "models" / "ranker").glob("*/manifest.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(manifests[-1].read_text()).get("fixed_weights_tried", []) if manifests else []


def product_lists(raw: Raw, keep: np.ndarray, dataset: str, work: Path, log: Path,
                  overrides: list[str]) -> tuple[dict[str, dict], list[dict]]:
    """{row name: {raw user id: [raw item ids in delivered order]}} of the product's week, and
    the validation curve of the fixed blend's weights."""
    data = raw.write(Path(tempfile.mkdtemp(dir=work, prefix="train-")), keep)
    home = work / "home"
    if overrides:
        write_config(home, overrides)
    run(home, "datasets", "load", dataset, str(data), log=log)
    run(home, "train", log=log)         # every model with data, then the blend's weights and ranker
    cf_home = work / "home-collaborative"
    shutil.copytree(home, cf_home)
    out = {}
    for name, h, ranking in (("tastemaker (weekly lists)", home, "auto"),
                             ("tastemaker, collaborative ranking", cf_home, "collaborative")):
        run(h, "weekly", "generate", "--ranking", ranking, log=log)
        run(h, "weekly", "export", "--format", "json", "--out", str(work / f"{h.name}.json"), log=log)
        doc = json.loads((work / f"{h.name}.json").read_text())
        out[name] = {u["user_id"]: [t["track_id"] for t in sorted(u["tracks"], key=lambda t: t["position"])]
                     for u in doc["users"]}
    return out, weights_curve(home)


def as_indices(lists: dict, user_ids, item_index: dict, users: np.ndarray, k: int) -> np.ndarray:
    """(len(users), k) item indices of each test user's list (-1 where shorter or unknown)."""
    out = np.full((len(users), k), -1, dtype=np.int64)
    for row, u in enumerate(users):
        got = [item_index.get(t, -1) for t in lists.get(user_ids[u], [])[:k]]
        out[row, :len(got)] = got
    return out


def one_seed(raw: Raw, dataset: str, seed: int, args, t0: float) -> dict:
    weights = SignalWeights()
    user_ids, users = np.unique(raw.users, return_inverse=True)
    item_ids, items = np.unique(raw.items, return_inverse=True)
    zeros = np.zeros(len(users))
    s = signal_sum(weights, plays=raw.plays, short_plays=zeros, saves=zeros, skips=zeros, artist_visits=zeros)
    data = Interactions.build(users, items, s, (len(user_ids), len(item_ids)))
    split = holdout_split(data, fraction=0.2, min_items=5, seed=seed)
    test = sp.csr_matrix(split.test)
    held = test[users, items].A1 > 0
    report(f"seed {seed}: {len(split.users):,} test users, {int(held.sum()):,} held-out pairs", t0)
    rows: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory(prefix="eval-product-") as tmp:
        work = Path(tmp)
        log = (args.logs / f"{dataset}-seed{seed}.log") if args.logs else work / "commands.log"
        lists, curve = product_lists(raw, ~held, dataset, work, log, args.set)
        report(f"seed {seed}: the product's week written and exported", t0)
        index = {t: i for i, t in enumerate(item_ids)}
        for name, got in lists.items():
            rows[name] = as_indices(got, user_ids, index, split.users, args.k)
    comp = compare(split, weights=weights, models=list(ANCHORS), k=args.k, seed=seed,
                   validation=validation_split(split), size=args.grid, keep_lists=True)
    report(f"seed {seed}: anchors chosen on validation and scored", t0)
    return {**score(split, rows, comp, args), "weights_curve": curve}


def score(split: Split, rows: dict, comp, args) -> dict:
    test = split.test[split.users]
    catalogue = split.catalogue()
    little = split.train.positives_per_user()[split.users] <= args.little
    out = {"users": int(len(split.users)), "little_users": int(little.sum()), "rows": {}}
    for name, recs in rows.items():
        m = ranking_metrics(recs, test, **catalogue)
        if little.any():
            m["ndcg_little"] = ranking_metrics(recs[little], test[little], **catalogue)["ndcg"]
        out["rows"][name] = {k: round(float(v), 5) for k, v in m.items()}
    for r in comp.results:
        m = dict(r.metrics)
        if little.any():
            m["ndcg_little"] = ranking_metrics(r.lists[little], test[little], **catalogue)["ndcg"]
        out["rows"][r.name] = {k: round(float(v), 5) for k, v in m.items()}
        out["rows"][r.name]["params"] = r.params
        out["rows"][r.name]["signals"] = {k: v for k, v in r.signals.items()
                                          if k in ("scheme", "alpha", "epsilon", "bm25_k1", "bm25_b")}
    return out


def summary(per_seed: list[dict]) -> dict:
    names = list(per_seed[0]["rows"])
    out = {}
    for name in names:
        row = {}
        for metric in (*SHOWN, "ndcg_little"):
            vals = np.array([s["rows"][name].get(metric, np.nan) for s in per_seed], dtype=np.float64)
            if np.isnan(vals).all():
                continue
            se = float(vals.std(ddof=1) / np.sqrt(len(vals))) if len(vals) > 1 else float("nan")
            row[metric] = {"mean": round(float(vals.mean()), 4), "se": round(se, 4),
                           "seeds": [round(float(v), 4) for v in vals]}
        out[name] = row
    return out


def markdown(summ: dict, k: int, little: int, n_little: int) -> str:
    head = (f"| lists | NDCG@{k} | recall@{k} | coverage | novelty | NDCG@{k}, ≤ {little} items "
            f"({n_little} users) | NDCG@{k} per seed |")
    lines = [head, "|---|---:|---:|---:|---:|---:|---|"]
    fmt = lambda m: f"{m['mean']:.4f} ± {m['se']:.4f}" if m else "–"  # noqa: E731
    for name, row in summ.items():
        cells = [fmt(row.get(m)) for m in SHOWN] + [fmt(row.get("ndcg_little"))]
        seeds = " / ".join(f"{v:.4f}" for v in row["ndcg"]["seeds"])
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {seeds} |")
    return "\n".join(lines)


def goals(summ: dict) -> list[str]:
    """The issue's checks, as sentences."""
    ours = summ["tastemaker (weekly lists)"]
    anchors = {n: summ[n] for n in summ if not n.startswith("tastemaker")}
    best = max(anchors, key=lambda n: anchors[n]["ndcg"]["mean"])
    best_cov = max(a["coverage"]["mean"] for a in anchors.values())
    ratio = ours["ndcg"]["mean"] / anchors[best]["ndcg"]["mean"]
    cf = summ["tastemaker, collaborative ranking"]
    out = [f"NDCG@K {ours['ndcg']['mean']:.4f} = {ratio:.3f} × the best anchor ({best}, "
           f"{anchors[best]['ndcg']['mean']:.4f}); goal ≥ 1.05×: {'met' if ratio >= 1.05 else 'not met'}",
           f"coverage {ours['coverage']['mean']:.4f} against the anchors' best {best_cov:.4f}: "
           f"{'met' if ours['coverage']['mean'] >= best_cov else 'not met'}"]
    if "ndcg_little" in ours and "ndcg_little" in cf:
        a, b = ours["ndcg_little"]["mean"], cf["ndcg_little"]["mean"]
        out.append(f"little history: weekly lists {a:.4f} vs collaborative ranking {b:.4f}: "
                   f"{'not worse' if a >= b else 'worse'}")
    return out


def pareto(curve: list[dict]) -> list[dict]:
    """The points of the weights' curve that no other point beats on both recall and coverage."""
    pts = [t for t in curve if "coverage" in t]
    return sorted((t for t in pts if not any(o["recall"] >= t["recall"] and o["coverage"] >= t["coverage"]
                                             and (o["recall"], o["coverage"]) != (t["recall"], t["coverage"])
                                             for o in pts)), key=lambda t: -t["recall"])


def report(msg: str, t0: float) -> None:
    print(f"[{time.perf_counter() - t0:6.1f} s] {msg}", file=sys.stderr, flush=True)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dataset", choices=sorted(DATASETS))
    ap.add_argument("--data", type=Path, default=None, help="the dataset's folder (default: ../shared/data/…)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--k", type=int, default=30)
    ap.add_argument("--grid", choices=GRID_SIZES, default="large", help="the anchors' validation grid")
    ap.add_argument("--little", type=int, default=LIGHT - 1, help="'little history': at most this many training items (default: the product's segment, fewer than blend.rank.LIGHT)")
    ap.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help="a tastemaker.toml override for the product's home (TOML value), e.g. blend.discovery=0")
    ap.add_argument("--logs", type=Path, default=None, help="keep each seed's command output in this folder")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    reader, folder = DATASETS[args.dataset]
    path = args.data or DATA / folder
    if not path.is_dir():
        sys.exit(f"No dataset folder {path}: pass --data")
    if not TASTEMAKER.exists():
        sys.exit(f"No tastemaker command beside {sys.executable}: run `make install` first")
    if args.logs:
        args.logs.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    raw = reader(path)
    per_seed = [one_seed(raw, args.dataset, seed, args, t0) for seed in args.seeds]
    summ = summary(per_seed)
    print(f"\n{args.dataset}: {per_seed[0]['users']:,} test users, K = {args.k}, seeds {args.seeds}, "
          f"mean ± standard error over the seeds\n")
    print(markdown(summ, args.k, args.little, per_seed[0]["little_users"]))
    for one, seed in zip(per_seed, args.seeds):
        front = pareto(one["weights_curve"])
        if front:
            print(f"\nseed {seed}, the fixed blend's weights on the product's own hold-out "
                  f"(validation recall vs coverage, the points no other beats on both):")
            for t in front:
                print("  recall {recall:.4f}  coverage {coverage:.4f}  ".format(**t)
                      + " ".join(f"{k}={v}" for k, v in t.items() if k.startswith("w_")))
    verdict = goals(summ)
    print("\n" + "\n".join(verdict))
    seconds = round(time.perf_counter() - t0, 1)
    print(f"({seconds:.0f} s)")
    doc = {"dataset": args.dataset, "data": str(path), "k": args.k, "seeds": args.seeds, "grid": args.grid,
           "little": args.little, "summary": summ, "per_seed": per_seed, "goals": verdict, "seconds": seconds}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(doc, indent=2, default=str))
    return doc


if __name__ == "__main__":
    main()
