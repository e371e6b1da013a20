"""Collaborative + text blend against collaborative alone on Last.fm HetRec-2k, for users with few
artists (and for all users), in one run. Results go to docs/blend.md (by hand) and --json.

    .venv/bin/python benchmarks/eval_blend_hetrec.py --json bench-out/blend-hetrec.json

Items are artists (``user_artists.dat``), the text is the Last.fm tags (``user_taggedartists.dat``).

1. Split: the SPEC hold-out (users with >= 5 artists give a seeded 20% to the test, seed 42).
   HetRec keeps each user's top 50 artists, so 1,829 of the 1,892 users have exactly 50 and only
   ~50 evaluated users have fewer than 40 in train: too few to measure. So a seeded sample of
   ``--thin-users`` evaluated users keeps only ``--few`` random artists of its train part (the
   rest is dropped, not tested); their test artists are unchanged. "Few-artist users" are the
   evaluated users whose train part has at most ``--few`` artists (the thinned ones, and the
   rare real ones). The users with fewer than 40 train artists by nature are reported apart.
   The validation split is cut from train the same way (seed + 1) and thinned the same way, on
   another sample of users, so that weights and the ranker see few-artist users with a full
   validation hold-out.
2. Text: each tag is a term of kind "tag"; its weight for an artist is the share of the artist's
   taggers who use it (at least ``min_support`` of them) × log(n / df) / log(n), the rarity of the
   tag across artists (the text model's formula, `tastemaker.text`); `TextVectors` gives the
   shrunk-cosine neighbour matrix. Leak control: a user's tag on an artist the user listens to
   but that is not in the user's train part (a held-out artist, or one lost by thinning) is
   dropped; every other tag is kept. Each stage (validation, test) drops by its own train part.
3. Rows: collaborative (ALS top K over every unheard artist), text only (the user's profile
   artists' text neighbour scores, over every unheard artist), popularity, and blends over the
   candidates (collaborative, text and popular sources; top K by score): the fixed blend with the
   default weights, with the (w_pop, w_text) of `FIXED_GRID` that give the best NDCG@K of all
   validation users, and without text (w_text 0, w_pop chosen the same way); the learned ranker
   as `tastemaker train ranker` makes it (its prior is the fixed blend with the chosen weights; it
   reorders the best `rescore` candidates by that prior), trained on the validation split's
   candidates and labels with models fitted on the validation train part and applied to the test
   split's with models fitted on the whole train part; and the same ranker without text (prior
   CF + popularity, text features unknown). Paired bootstrap intervals of each difference on the
   few-artist users. NDCG and recall count every held-out artist of the user, found among the
   candidates or not.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tastemaker.blend import Context, FixedBlend, LearnedRanker, TrackFacts, build_context, candidates, features
from tastemaker.blend.candidates import ALL_SOURCES, CF, TEXT, profile_artists, text_artist_scores
from tastemaker.blend.evaluate import paired_bootstrap
from tastemaker.blend.features import INDEX
from tastemaker.blend.train import FIXED_GRID, training_data
from tastemaker.config import ALSParams, BlendParams, Settings, SignalWeights, TextParams
from tastemaker.evaluate import holdout_split
from tastemaker.evaluate.metrics import catalogue_coverage, hits_at_k, ndcg_at_k, recall_at_k
from tastemaker.evaluate.splits import Interactions, Split
from tastemaker.models.als import ALS
from tastemaker.kernels import topk
from tastemaker.text.model import TextVectors

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_hetrec import DEFAULT_DATA, hetrec_interactions  # noqa: E402


def log(msg: str, t0: float) -> None:
    print(f"[{time.perf_counter() - t0:6.1f} s] {msg}", file=sys.stderr, flush=True)


# -- data ----------------------------------------------------------------------------------------
def load_tags(folder: Path) -> pd.DataFrame:
    """Tag assignments as (user, item, tag) in the row/column indices of `hetrec_interactions`;
    tags on artists nobody listens to are left out (they can be no item)."""
    ua = pd.read_csv(folder / "user_artists.dat", sep="\t")
    user_ids = np.sort(ua["userID"].unique())
    artist_ids = np.sort(ua["artistID"].unique())
    t = pd.read_csv(folder / "user_taggedartists.dat", sep="\t")
    u = np.searchsorted(user_ids, t["userID"].to_numpy())
    a = np.searchsorted(artist_ids, t["artistID"].to_numpy())
    ok = (u < len(user_ids)) & (a < len(artist_ids))
    ok[ok] &= (user_ids[u[ok]] == t["userID"].to_numpy()[ok]) & (artist_ids[a[ok]] == t["artistID"].to_numpy()[ok])
    return pd.DataFrame({"user": u[ok], "item": a[ok], "tag": t["tagID"].to_numpy()[ok]}).drop_duplicates()


def thin(split: Split, *, n_users: int, keep: int, seed: int, exclude=()) -> tuple[Split, np.ndarray]:
    """A copy of `split` where a seeded sample of `n_users` evaluated users (not in `exclude`)
    keeps only `keep` random artists of its train part. Returns (split, the thinned users)."""
    rng = np.random.default_rng(seed)
    pool = np.setdiff1d(split.users, np.asarray(exclude, dtype=np.int64))
    chosen = np.sort(rng.choice(pool, size=min(n_users, len(pool)), replace=False))
    tr = split.train
    order = np.lexsort((rng.random(len(tr)), tr.users))
    counts = np.bincount(tr.users, minlength=tr.shape[0])
    start = np.repeat(np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    rank = np.empty(len(tr), dtype=np.int64)
    rank[order] = np.arange(len(tr)) - start
    drop = np.isin(tr.users, chosen) & (rank >= keep)
    info = {**split.info, "thinned_users": int(len(chosen)), "thinned_to": keep}
    return Split("holdout", tr.take(~drop), split.test, split.users, info), chosen


def pair_keys(users, items, n_items: int) -> np.ndarray:
    return np.asarray(users, dtype=np.int64) * n_items + np.asarray(items, dtype=np.int64)


def text_neighbours(tags: pd.DataFrame, n_items: int, params: TextParams, k: int) -> sp.csr_matrix:
    """Neighbour matrix (n_items, n_items) of tag vectors (see the module docstring)."""
    c = tags.groupby(["item", "tag"]).size().rename("c").reset_index()       # taggers per (artist, tag)
    n_taggers = np.bincount(tags.drop_duplicates(["user", "item"])["item"], minlength=n_items).astype(np.float64)
    c = c[c["c"] >= params.min_support]
    n = max(int((n_taggers > 0).sum()), 2)
    df = c.groupby("tag").size()
    rarity = np.log(n / df.reindex(c["tag"]).to_numpy()) / np.log(n)
    w = c["c"].to_numpy() / n_taggers[c["item"].to_numpy()] * rarity
    model = TextVectors(kinds=("tag",), min_artists=params.min_artists, shrink=params.shrink)
    model.fit_rows(c["item"].to_numpy(), np.full(len(c), "tag"), c["tag"].astype(str).to_numpy(), w,
                   n_items, support=n_taggers)
    return model.neighbour_matrix(k)


def visible_tags(tags: pd.DataFrame, train: Interactions, listened: np.ndarray, n_items: int) -> pd.DataFrame:
    """Leak control: drop a user's tags on artists they listen to outside their train part."""
    keys = pair_keys(tags["user"], tags["item"], n_items)
    in_train = pair_keys(train.users, train.items, n_items)
    hidden = np.isin(keys, listened) & ~np.isin(keys, in_train)
    return tags[~hidden]


def context(train: sp.csr_matrix, plays: np.ndarray, als: ALS, text: sp.csr_matrix, blend: BlendParams) -> Context:
    """A blend context where every item is its own artist; no audio, no release dates."""
    n_items = train.shape[1]
    listeners = np.diff((train > 0).tocsc().indptr).astype(np.float32)
    nan = np.full(n_items, np.nan, dtype=np.float32)
    none = np.full(n_items, -1, dtype=np.int64)
    facts = TrackFacts(np.arange(n_items), listeners, listeners.copy(), plays.astype(np.float32), nan, nan.copy(),
                       none, none, nan.copy(), np.empty(0, dtype=np.int64))
    return build_context(als, facts, shape=train.shape, params=blend, min_history=1, cold_plays=0, text=text)


# -- one stage: models fitted on a train part, candidates of its evaluated users -----------------
@dataclasses.dataclass
class Stage:
    split: Split
    train: sp.csr_matrix    # the confidence matrix the models were fitted on (what users heard)
    ctx: Context
    X: np.ndarray           # (U, C, F) cheap features (`features(full=False)`) of all the candidates
    y: np.ndarray           # (U, C) 1 = held out, 0 not, -1 pad
    ids: np.ndarray         # (U, C) candidate items
    flags: np.ndarray       # (U, C) source bits of each candidate
    n_rel: np.ndarray       # (U,) held-out artists of each evaluated user (all of them)
    als: ALS


def fit_stage(split: Split, tags, listened, settings: Settings, t0: float, label: str) -> Stage:
    conf = split.train_matrix(settings.signals)
    n_items = conf.shape[1]
    a = settings.als
    als = ALS(factors=a.factors, regularization=a.regularization, iterations=a.iterations, seed=a.seed).fit(conf)
    log(f"{label}: ALS fitted on {conf.nnz:,} pairs", t0)
    seen = visible_tags(tags, split.train, listened, n_items)
    text = text_neighbours(seen, n_items, settings.text, settings.blend.text_neighbours)
    log(f"{label}: text neighbours from {len(seen):,} of {len(tags):,} tag assignments "
        f"({int((text.getnnz(axis=1) > 0).sum()):,} artists with neighbours)", t0)
    plays = np.bincount(split.train.items, weights=split.train.signal, minlength=n_items)
    ctx = context(conf, plays, als, text, settings.blend)
    users = split.users
    heard = conf[users]
    cand = candidates(ctx, users, heard, heard, settings.blend, ALL_SOURCES)
    X = features(ctx, users, heard, cand, full=False)
    test = sp.coo_matrix(split.test[users])
    keys = pair_keys(np.arange(len(users))[:, None], cand.ids, n_items)
    y = np.where(cand.ids >= 0, np.isin(keys, pair_keys(test.row, test.col, n_items)), -1).astype(np.int8)
    n_rel = np.diff(sp.csr_matrix(split.test[users]).indptr)
    log(f"{label}: {X.shape[0]:,} users × up to {X.shape[1]} candidates; held-out artists among them: "
        f"{int((y > 0).sum()):,} of {int(n_rel.sum()):,}", t0)
    return Stage(split, conf, ctx, X, y, cand.ids, cand.flags, n_rel, als)

# -- lists and their quality ---------------------------------------------------------------------
def lists_from_scores(scores: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """(U, k) the top k candidate ids by score (-1 where the score is not finite)."""
    cols, _ = topk(np.where(ids >= 0, scores, -np.inf).astype(np.float32), k)
    return np.where(cols >= 0, np.take_along_axis(ids, np.maximum(cols, 0), 1), -1)


def collaborative_lists(st: Stage, k: int) -> np.ndarray:
    users = st.split.users
    recs, _ = st.als.recommend(users, st.train[users], N=k)
    return recs


def full_ranking(st: Stage, users: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    """Top k of dense (len(users), n_items) scores over the artists each user has not heard."""
    heard = st.train[users]
    scores = scores.astype(np.float32)
    scores[heard.nonzero()] = -np.inf
    return topk(scores, k)[0]


def text_lists(st: Stage, k: int, params: BlendParams) -> np.ndarray:
    """Text score Σₐ w(u, a)·sim(a, b) over the user's profile artists; popularity breaks ties
    (and fills the list of a user whose artists have no text neighbours)."""
    users = st.split.users
    tie = 1e-6 * np.log1p(st.ctx.listeners) / max(np.log1p(st.ctx.listeners.max()), 1)
    out = []
    for start in range(0, len(users), 1024):
        batch = users[start:start + 1024]
        prof = profile_artists(st.ctx, st.train[batch], params.profile_artists)
        S = text_artist_scores(st.ctx, *prof).toarray()
        out.append(full_ranking(st, batch, S + tie[None, :], k))
    return np.vstack(out)


def popularity_lists(st: Stage, k: int) -> np.ndarray:
    users = st.split.users
    return full_ranking(st, users, np.tile(st.ctx.listeners, (len(users), 1)), k)


def quality(recs: np.ndarray, st: Stage, segments: dict, n_items: int) -> dict:
    test = sp.csr_matrix(st.split.test[st.split.users])
    hits = hits_at_k(recs, test)
    ndcg, recall = ndcg_at_k(hits, st.n_rel), recall_at_k(hits, st.n_rel)
    out = {name: {"ndcg": round(float(ndcg[m].mean()), 4), "recall": round(float(recall[m].mean()), 4)}
           for name, m in segments.items()}
    out["coverage"] = round(catalogue_coverage(recs, n_items), 4)
    return out


def paired_difference(a: np.ndarray, b: np.ndarray, seed: int, n: int = 2000) -> dict:
    """Mean of a − b over users with a 95% paired bootstrap interval (`paired_bootstrap`)."""
    r = paired_bootstrap(a, b, draws=n, seed=seed)
    return {"mean": r["diff"], "low": r["ci95"][0], "high": r["ci95"][1], "share_better": r["share_better"]}


def without_text(X: np.ndarray) -> np.ndarray:
    """X with no text: text scores 0, `text_z` unknown, no candidate marked as found by text (the
    ablation: the ranker without text)."""
    X = X.copy()
    valid = ~np.isnan(X[..., INDEX["history"]])
    X[..., INDEX["text_score"]] = np.where(valid, 0.0, np.nan)
    X[..., INDEX["text_z"]] = np.nan
    X[..., INDEX["from_text"]] = np.where(valid, 0.0, np.nan)
    return X


def ndcg_of(recs: np.ndarray, st: Stage) -> np.ndarray:
    return ndcg_at_k(hits_at_k(recs, sp.csr_matrix(st.split.test[st.split.users])), st.n_rel)


# -- the run -------------------------------------------------------------------------------------
def splits(data: Interactions, few: int, thin_users: int, seed: int):
    """(test split, validation split, users thinned in the test split): the SPEC hold-out,
    thinned; the validation split cut from its train part with seed + 1 and thinned the same way
    (other users, so that their validation hold-out is as large as a test one)."""
    split = holdout_split(data, fraction=0.2, min_items=5, seed=seed)
    split, thinned = thin(split, n_users=thin_users, keep=few, seed=seed)
    val = holdout_split(split.train, fraction=0.2, min_items=min(5, few), seed=seed + 1)
    val, _ = thin(val, n_users=thin_users, keep=few, seed=seed + 1, exclude=thinned)
    return split, val, thinned


def weighted(blend: BlendParams, w: dict) -> BlendParams:
    return dataclasses.replace(blend, w_pop=w["w_pop"], w_text=w["w_text"])


def weight_grid(vs: Stage, blend: BlendParams, k: int) -> list[dict]:
    """Validation NDCG@k (all validation users) of the fixed blend for each (w_pop, w_text) of
    `FIXED_GRID` (its w_audio does nothing without audio; this script has no item model)."""
    grid = []
    for wp, wt in sorted({(wp, wt) for wp, wt, *_ in FIXED_GRID}):
        w = {"w_pop": wp, "w_text": wt}
        nd = ndcg_of(fixed_lists(vs, weighted(blend, w), k), vs)
        grid.append({**w, "ndcg": round(float(nd.mean()), 4)})
    return grid


def fixed_lists(st: Stage, blend: BlendParams, k: int) -> np.ndarray:
    return lists_from_scores(FixedBlend(blend).score(st.X), st.ids, k)


def learned_lists(vs: Stage, ts: Stage, settings: Settings, chosen: dict, k: int, t0: float) -> tuple[dict, dict]:
    """The learned ranker as `tastemaker train ranker` makes it (prior: the fixed blend with the
    weights chosen on validation, which also picks the `rescore` candidates it reorders), and the
    same without text (prior: CF + popularity; text features unknown). Trained on the validation
    stage, applied to the test stage."""
    variants = {"learned ranker (CF + text + popularity)": (chosen["all"], lambda X: X),
                "learned ranker, no text": (chosen["no_text"], without_text)}
    rows, importance = {}, {}
    for name, (w, prepare) in variants.items():
        s = dataclasses.replace(settings, blend=weighted(settings.blend, w))
        Xv, yv, _ = training_data(vs.ctx, s, vs.split.users, vs.train, vs.split.test, label=f"{name}: validation")
        Xt, _, ids = training_data(ts.ctx, s, ts.split.users, ts.train, ts.split.test, label=f"{name}: test")
        ranker = LearnedRanker(s.blend).fit(prepare(Xv), yv)
        rows[name] = lists_from_scores(ranker.score(prepare(Xt)), ids, k)
        importance[name] = ranker.importance()
        log(f"{name}: trained on {ranker.n_queries_:,} validation users, {ranker.n_rows_:,} rows "
            f"(the best {Xv.shape[1]} candidates by its prior)", t0)
    return rows, importance


def differences(rows: dict, ts: Stage, few: np.ndarray, seed: int) -> list[dict]:
    """Paired NDCG differences on the few-artist users: each blend against collaborative, and each
    blend with text against the same without text."""
    per_user = {name: ndcg_of(recs, ts)[few] for name, recs in rows.items()}
    find = lambda prefix: next((r for r in rows if r.startswith(prefix)), None)  # noqa: E731
    pairs = [(name, CF_ROW) for name in rows if "blend" in name or "ranker" in name or "CF +" in name]
    for a, b in ((find("fixed blend, chosen"), find("CF + popularity")),
                 (find("learned ranker (CF + text"), find("learned ranker, no text"))):
        if a and b:
            pairs.append((a, b))
    return [{"row": a, "minus": b, **paired_difference(per_user[a], per_user[b], seed)} for a, b in pairs]


CF_ROW = "collaborative (ALS)"


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--k", type=int, default=30)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--few", type=int, default=5, help="a few-artist user has at most this many train artists")
    ap.add_argument("--thin-users", type=int, default=400, help="evaluated users thinned to --few artists")
    for name in ("cf-candidates", "text-candidates", "text-artists", "popular-candidates", "profile-artists",
                 "text-neighbours"):
        ap.add_argument(f"--{name}", type=int, default=None, help=f"[blend] {name.replace('-', '_')}")
    ap.add_argument("--text-min-support", type=int, default=None, help="[text] min_support (taggers per tag)")
    ap.add_argument("--text-shrink", type=float, default=None, help="[text] shrink (by taggers of the neighbour)")
    ap.add_argument("--no-ranker", action="store_true", help="skip the learned rankers")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.few < 2:
        sys.exit("--few must be at least 2 (the validation split needs 2 train artists per user)")

    t0 = time.perf_counter()
    changes = {name: getattr(args, name) for name in ("cf_candidates", "text_candidates", "text_artists",
                                                      "popular_candidates", "profile_artists", "text_neighbours")
               if getattr(args, name) is not None}
    blend = dataclasses.replace(BlendParams(), audio_candidates=0, **changes)
    text = TextParams(**{name: value for name, value in (("min_support", args.text_min_support),
                                                         ("shrink", args.text_shrink)) if value is not None})
    settings = Settings(home=Path("."), signals=SignalWeights(), als=ALSParams(), text=text, blend=blend)
    data = hetrec_interactions(args.data, settings.signals)
    n_items, k = data.shape[1], args.k
    tags = load_tags(args.data)
    listened = pair_keys(data.users, data.items, n_items)
    split, val, thinned = splits(data, args.few, args.thin_users, args.seed)
    log(f"data: {data.shape[0]:,} users × {n_items:,} artists, {len(data):,} pairs, {len(tags):,} tag "
        f"assignments; test users {len(split.users):,}, validation users {len(val.users):,}", t0)
    n_train = split.train.positives_per_user()[split.users]
    seg = {"few": n_train <= args.few, "natural few": ~np.isin(split.users, thinned) & (n_train < 40),
           "all": np.ones(len(split.users), dtype=bool)}
    counts = {name: int(m.sum()) for name, m in seg.items()}
    log(f"segments (test): {counts}; validation few-artist users: "
        f"{int((val.train.positives_per_user()[val.users] <= args.few).sum())}", t0)

    vs = fit_stage(val, tags, listened, settings, t0, "validation")
    ts = fit_stage(split, tags, listened, settings, t0, "test")
    grid = weight_grid(vs, blend, k)
    chosen = {"all": max(grid, key=lambda g: g["ndcg"]),
              "no_text": max((g for g in grid if g["w_text"] == 0), key=lambda g: g["ndcg"])}
    log(f"fixed blend weights chosen on validation: {chosen}", t0)
    learned, importance = ({}, {}) if args.no_ranker else learned_lists(vs, ts, settings, chosen, k, t0)

    c, n = chosen["all"], chosen["no_text"]
    rows = {
        "popularity": popularity_lists(ts, k),
        CF_ROW: collaborative_lists(ts, k),
        "text only": text_lists(ts, k, blend),
        f"fixed blend, defaults (w_pop {blend.w_pop}, w_text {blend.w_text})": fixed_lists(ts, blend, k),
        f"fixed blend, chosen on validation (w_pop {c['w_pop']}, w_text {c['w_text']})":
            fixed_lists(ts, weighted(blend, c), k),
        f"CF + popularity, no text, chosen on validation (w_pop {n['w_pop']})": fixed_lists(ts, weighted(blend, n), k),
        **learned,
    }
    results = {name: quality(recs, ts, seg, n_items) for name, recs in rows.items()}
    print(markdown_table(results, counts, args.few))
    diffs = differences(rows, ts, seg["few"], args.seed)
    print(f"\nNDCG@{k} differences, few-artist users (paired bootstrap over users, 95%):")
    for d in diffs:
        print(f"  {d['row']}  −  {d['minus']}: {d['mean']:+.4f} [{d['low']:+.4f}, {d['high']:+.4f}], "
              f"above 0 in {d['share_better']:.0%} of resamples")
    verdict = [f"{d['row']}: {'beats' if d['mean'] > 0 else 'does not beat'} collaborative ({d['mean']:+.4f} "
               f"[{d['low']:+.4f}, {d['high']:+.4f}]{'' if d['low'] > 0 or d['high'] < 0 else ', within noise'})"
               for d in diffs if d["minus"] == CF_ROW and (d["row"].startswith("fixed blend, chosen")
                                                           or d["row"].startswith("learned ranker (CF + text"))]
    print("\nFew-artist users, CF + text rows chosen on the validation split:\n  " + "\n  ".join(verdict))
    seconds = round(time.perf_counter() - t0, 1)
    print(f"({seconds:.0f} s)")
    few = seg["few"]
    text_only = (ts.y > 0) & ((ts.flags & CF) == 0) & ((ts.flags & TEXT) != 0)
    out = {"dataset": str(args.data), "k": k, "seed": args.seed, "few": args.few, "segments": counts,
           "split": split.describe(), "blend_params": dataclasses.asdict(blend),
           "text_params": dataclasses.asdict(text), "grid": grid, "chosen": chosen,
           "ranker_importance": importance, "results": results, "differences_few": diffs, "verdict": verdict,
           "seconds": seconds,
           "candidates": {"mean": float((ts.ids >= 0).sum(axis=1).mean()),
                          "held_out_among_candidates": int((ts.y > 0).sum()), "held_out": int(ts.n_rel.sum()),
                          "few_held_out_among_candidates": int((ts.y[few] > 0).sum()),
                          "few_held_out": int(ts.n_rel[few].sum()),
                          "few_found_by_text_only": int(text_only[few].sum())}}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2))
        print(f"JSON: {args.json}")
    return out


def markdown_table(results: dict, counts: dict, few: int) -> str:
    head = (f"| model | NDCG@30 few (≤ {few} artists, {counts['few']}) | recall@30 few | "
            f"NDCG@30 natural < 40 ({counts['natural few']}) | recall@30 natural | "
            f"NDCG@30 all ({counts['all']}) | recall@30 all | coverage |")
    lines = [head, "|" + "---|" * 8]
    for name, r in results.items():
        lines.append(f"| {name} | {r['few']['ndcg']:.3f} | {r['few']['recall']:.3f} | {r['natural few']['ndcg']:.3f} | "
                     f"{r['natural few']['recall']:.3f} | {r['all']['ndcg']:.3f} | {r['all']['recall']:.3f} | "
                     f"{r['coverage']:.3f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
