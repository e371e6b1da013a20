"""The ablation of the weekly blend in one run (``tastemaker evaluate --blend``).

    >>> report = ablation(engine, settings)

Time split: the models are fitted on the events before the last full week (`split_context`) and
each variant is a `Blend` whose lists are exactly those the weekly job would write (candidates of
its sources, its ranking, artist cap, audio share, fresh share; no flow order, which does not
change the set), scored by the evaluator every model goes through (`evaluate_model`).
The fixed blend's weights are chosen and the learned ranker trained on the ``[blend]
ranker_weeks`` weeks before it (each with models fitted on the events before *that* week), so
the test week is never seen. Recall and NDCG at K of the tracks each user newly played
in the test week, on every evaluated user, on users with little history (fewer than
``LIGHT`` liked tracks), on warm users, on cold tracks (the test pairs whose track had fewer
than ``[audio_model] min_plays`` plays before the week: recall over those pairs) and the new
tracks among them (no play at all before the week: collaborative filtering has no vector for
them); plus coverage, novelty and artist diversity.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time

import numpy as np
import scipy.sparse as sp

from ..config import Settings
from ..engine import Engine
from ..errors import InputError
from ..evaluate.metrics import hits_at_k
from ..evaluate.runner import evaluate_model
from ..evaluate.splits import catalogue_artists, last_full_week, time_split
from ..models.base import Recommender
from ..progress import progress
from .assemble import SOURCES
from .candidates import ALL_SOURCES
from .features import INDEX
from .prepare import SplitContexts, split_context
from .rank import LIGHT, CollaborativeOrder, FixedBlend, LearnedRanker, Scorer, invalid
from .recommender import Blend, list_scores
from .train import stacked_training_data, training_weeks, tune_fixed


class FeatureOrder(Scorer):
    """One model alone: its score, then (where it has none) popular tracks."""

    def __init__(self, feature: str):
        self.feature = feature
        self.name = feature

    def score(self, X):
        s = X[..., INDEX[self.feature]]
        fallback = -1e6 + np.nan_to_num(X[..., INDEX["track_listeners"]])
        return np.where(invalid(X), -np.inf, np.where(np.isfinite(s), s, fallback)).astype(np.float32)


def variants(settings: Settings, ranker: LearnedRanker | None):
    """(name, sources, scorer) of each row of the table."""
    fixed = FixedBlend(settings.blend)
    rows = [("collaborative only", ("cf", "popular"), CollaborativeOrder()),
            ("text only", ("text", "popular"), FeatureOrder("text_score")),
            ("audio only", ("audio", "popular"), FeatureOrder("audio_score")),
            ("collaborative + text (fixed)", ("cf", "text", "popular"), fixed),
            ("collaborative + audio (fixed)", ("cf", "audio", "popular"), fixed),
            ("full blend, fixed weights", ALL_SOURCES, fixed)]
    if ranker is not None:
        rows.append(("full blend, learned ranker", ALL_SOURCES, ranker))
    return rows


def _only(test: sp.csr_matrix, tracks: np.ndarray) -> sp.csr_matrix:
    out = sp.csr_matrix(test.multiply(tracks[None, :].astype(np.float32)))
    out.eliminate_zeros()
    return out


def _found(recs: np.ndarray, test: sp.csr_matrix) -> dict:
    """Recall over the users with such test pairs, and how many pairs the lists found."""
    has = np.diff(test.indptr) > 0
    hits = hits_at_k(recs[has], test[has]).sum(axis=1)
    return {"users": int(has.sum()), "pairs": int(test.nnz), "pairs_found": int(hits.sum()),
            "recall": round(float((hits / np.diff(test.indptr)[has]).mean()), 4) if has.any() else float("nan")}


class SourceCounts(Recommender):
    """A variant of the blend for the evaluator, counting the tracks its lists take from each
    source and how many of them the users newly played (the evaluator sees ids and scores only)."""

    def __init__(self, blend: Blend, test: sp.csr_matrix, name: str):
        self.blend, self.test, self.name = blend, test, name
        self.tracks: dict[int, int] = {}
        self.hits: dict[int, int] = {}

    def get_params(self) -> dict:
        return self.blend.get_params()

    @property
    def is_fitted(self) -> bool:
        return self.blend.is_fitted

    def fit(self, user_items):
        return self

    def _score(self, userids, user_items):
        raise NotImplementedError

    def recommend(self, userids, user_items, N: int = 30, *, filter_already_liked_items=True, filter_items=None):
        users = np.atleast_1d(np.asarray(userids, dtype=np.int64))
        week = self.blend.lists(users, user_items, N)
        hit = hits_at_k(week.ids, self.test[users])
        for counts, mask in ((self.tracks, week.ids >= 0), (self.hits, hit & (week.ids >= 0))):
            src, n = np.unique(week.source[mask], return_counts=True)
            for s_, n_ in zip(src, n):
                counts[int(s_)] = counts.get(int(s_), 0) + int(n_)
        return week.ids, list_scores(week.ids, week.scores)


def paired_bootstrap(a: np.ndarray, b: np.ndarray, *, draws: int = 2000, seed: int = 0) -> dict:
    """Mean of a − b over users, its 95 % interval from resampling users (paired), and the share
    of resamples in which a is ahead."""
    d = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    if not len(d):
        return {"diff": 0.0, "ci95": [0.0, 0.0], "share_better": 0.0}
    means = d[np.random.default_rng(seed).integers(0, len(d), size=(draws, len(d)))].mean(axis=1)
    return {"diff": round(float(d.mean()), 4),
            "ci95": [round(float(np.quantile(means, 0.025)), 4), round(float(np.quantile(means, 0.975)), 4)],
            "share_better": round(float((means > 0).mean()), 3)}


def ablation(engine: Engine, settings: Settings, *, k: int | None = None, learned: bool = True,
             weeks: int = 1, cache: SplitContexts | None = None) -> dict:
    """The ablation on the last full week; with ``weeks`` > 1 also on the weeks before it (each
    with its own models, weights and ranker, trained only on what came before), pooled: every
    user-week counts once, and each variant's difference from collaborative filtering gets a
    paired bootstrap interval over the pooled user-weeks. ``cache``: contexts kept by the
    caller (those the ranker's training fitted in the same run)."""
    cache = cache if cache is not None else SplitContexts(settings.blend.ranker_weeks + 2)
    if k is not None:
        settings = dataclasses.replace(settings, weekly=dataclasses.replace(settings.weekly, size=k))
    last = last_full_week(engine)
    if last is None:
        raise InputError("The blend's ablation needs timestamped events covering at least two weeks")
    reports = []
    for i in range(weeks):
        try:
            reports.append(_one_week(engine, settings, last - dt.timedelta(weeks=i), learned=learned, cache=cache))
        except InputError as e:
            if not reports:
                raise
            reports[0].setdefault("notes", []).append(f"stopped after {i} weeks: {e}")
            break
    report = reports[0]
    if len(reports) > 1:
        report["pooled"] = _pool(reports)
    for r in reports:
        r.pop("_per_user", None)
    if len(reports) > 1:
        report["earlier_weeks"] = reports[1:]
    return report


def _pool(reports: list[dict]) -> dict:
    """Per variant: recall over all user-weeks, per-week recalls and the paired difference from
    collaborative filtering over the pooled user-weeks."""
    base = "collaborative only"
    out = {"weeks": [r["week"] for r in reports], "user_weeks": int(sum(r["users"] for r in reports)),
           "variants": {}}
    for name in reports[0]["variants"]:
        if not all(name in r["_per_user"] for r in reports):
            continue
        mine = np.concatenate([r["_per_user"][name] for r in reports])
        row = {"recall": round(float(mine.mean()), 4),
               "by_week": {r["week"]: r["variants"][name]["all"]["recall"] for r in reports},
               "new_tracks_found": int(sum(r["variants"][name]["new tracks"]["pairs_found"] for r in reports)),
               "new_tracks": int(sum(r["variants"][name]["new tracks"]["pairs"] for r in reports))}
        if name != base:
            row["recall_vs_collaborative"] = paired_bootstrap(
                mine, np.concatenate([r["_per_user"][base] for r in reports]))
        out["variants"][name] = row
    return out


def _one_week(engine: Engine, settings: Settings, week_start: dt.datetime, *, learned: bool,
              cache: SplitContexts) -> dict:
    started = time.perf_counter()
    k = settings.weekly.size
    split = time_split(engine, settings.signals, week_start=week_start, item_artists=catalogue_artists(engine))
    ranker, ranker_info = None, None
    test_start = dt.datetime.fromisoformat(split.info["week_start"])
    weeks = training_weeks(engine, settings, test_start - dt.timedelta(weeks=1), cache=cache)
    settings, tried = tune_fixed(weeks, settings)
    chosen = {k: getattr(settings.blend, k) for k in ("w_pop", "w_text", "w_audio", "w_item")}
    if learned:
        X, y, _ = stacked_training_data(weeks, settings)
        ranker = LearnedRanker(settings.blend).fit(X, y)
        ranker_info = {"weeks": [w.name for w in weeks], "queries": ranker.n_queries_, "rows": ranker.n_rows_,
                       "importance": ranker.importance()}
        del X, y
    training = [w.name for w in weeks]
    del weeks
    ctx = split_context(engine, settings, split, cache=cache)
    users = split.users
    test = sp.csr_matrix(split.test[users])
    train = split.train_matrix(settings.signals)
    liked = np.asarray((train[users] > 0).sum(axis=1)).ravel()
    light = liked < LIGHT
    cold_test = _only(test, ctx.cold)                  # fewer than min_plays plays before the week
    new_test = _only(test, ~ctx.has_vector)            # no play at all: no collaborative vector
    rows, per_user = {}, {}
    n_rel = np.maximum(np.diff(test.indptr), 1)
    names = variants(settings, ranker)
    with progress("Ablation: lists of every variant", total=len(names) * len(users)) as step:
        for name, sources, scorer in names:
            variant = SourceCounts(Blend.from_context(ctx, settings=settings, scorer=scorer, sources=sources),
                                   split.test, name)
            t0 = time.perf_counter()
            result = evaluate_model(variant, split, weights=settings.signals, k=k, fit=False,
                                    batch_size=settings.weekly.batch_size, step=step, keep_lists=True,
                                    segments={"little history": light, "warm": ~light})
            recs = result.lists
            per_user[name] = hits_at_k(recs, test).sum(axis=1) / n_rel
            rows[name] = {
                "sources": list(sources), "ranking": scorer.name, "seconds": round(time.perf_counter() - t0, 2),
                "all": {"users": int(len(users)), **{m: round(v, 4) for m, v in result.metrics.items()}},
                **result.extra["segments"],
                "cold tracks": _found(recs, cold_test),
                "new tracks": _found(recs, new_test),
                "tracks_by_source": {SOURCES[s_]: n_ for s_, n_ in sorted(variant.tracks.items())},
                "hits_by_source": {SOURCES[s_]: variant.hits.get(s_, 0) for s_ in sorted(variant.tracks)},
            }
    base = "collaborative only"
    for name in rows:
        if name != base:
            rows[name]["recall_vs_collaborative"] = paired_bootstrap(per_user[name], per_user[base])
    return {"protocol": f"time split: models fitted before {split.info['week']}, lists of {k}, test = tracks "
                        f"newly played in {split.info['week']}; fixed weights chosen and learned ranker trained on "
                        f"{', '.join(training)} (each with models fitted before it); "
                        f"little history = fewer than {LIGHT} liked tracks; cold = fewer than "
                        f"{settings.audio_model.min_plays} plays before the week",
            "k": k, "week": split.info["week"], "users": int(len(users)), "light_users": int(light.sum()),
            "cold_test_pairs": int(cold_test.nnz), "new_test_pairs": int(new_test.nnz), "ranker": ranker_info, "variants": rows,
            "fixed_weights": {"chosen": chosen, "weeks": training, "tried": tried},
            "blend_params": dataclasses.asdict(settings.blend),
            "seconds": round(time.perf_counter() - started, 1), "_per_user": per_user}


def _vs(row: dict) -> str:
    d = row.get("recall_vs_collaborative")
    if d is None:
        return "—"
    return f"{d['diff']:+.4f} [{d['ci95'][0]:+.4f}, {d['ci95'][1]:+.4f}]"


def pooled_markdown(report: dict) -> str:
    """The pooled table of a several-week ablation ('' if there is none)."""
    pooled = report.get("pooled")
    if not pooled:
        return ""
    k = report["k"]
    weeks = pooled["weeks"]
    lines = [f"| variant | recall@{k} (all {pooled['user_weeks']:,} user-weeks) | "
             + " | ".join(weeks) + " | new tracks found | recall − collaborative [95% CI] |",
             "|" + "---|" * (len(weeks) + 4)]
    for name, r in pooled["variants"].items():
        lines.append(f"| {name} | {r['recall']:.4f} | " + " | ".join(f"{r['by_week'][w]:.3f}" for w in weeks)
                     + f" | {r['new_tracks_found']} of {r['new_tracks']} | {_vs(r)} |")
    return "\n".join(lines)


def markdown(report: dict) -> str:
    k = report["k"]
    head = (f"| variant | recall@{k} | NDCG@{k} | little history recall@{k} | warm recall@{k} | "
            f"cold-track recall@{k} | new tracks found | coverage | novelty | diversity | "
            f"recall − collaborative [95% CI] |")
    lines = [head, "|" + "---|" * 11]
    for name, r in report["variants"].items():
        a, li, w, c = r["all"], r["little history"], r["warm"], r["cold tracks"]
        lines.append(f"| {name} | {a['recall']:.3f} | {a['ndcg']:.3f} | {li.get('recall', float('nan')):.3f} | "
                     f"{w.get('recall', float('nan')):.3f} | {c['recall']:.3f} | "
                     f"{r['new tracks']['pairs_found']} of {r['new tracks']['pairs']} | {a['coverage']:.3f} | "
                     f"{a['novelty']:.2f} | {a['diversity']:.3f} | {_vs(r)} |")
    return "\n".join(lines)
