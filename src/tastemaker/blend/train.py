"""Training the learned ranker on a time split, or a hold-out (``tastemaker train ranker``).

    >>> result = train_ranker(engine, settings)          # the last full week of events

The models are fitted on the events before the week (`prepare.split_context`: ALS and the
item-item model, and the audio network on its vectors; the text model as saved), every user with a new play in the week (at most
``[blend] ranker_users`` of them, a seeded sample) gets their
candidates from all sources, each labelled 1 when the user newly played it that week. The
fixed blend's weights are chosen on the same users first (`tune_fixed`): the ranker starts from
that blend. The ranker is compared with the fixed blend and collaborative order on every
user-week, cross-validated over whole users (five folds, each scored by a ranker fitted on the
others; recall and NDCG at the list size); the weekly job uses the fixed blend instead where
it wins there. The saved ranker is fitted on all of them.

Events without timestamps (a listening log of counts, such as Last.fm HetRec or the Taste
Profile) have no week to learn from: there the labels are a seeded per-user hold-out of the
pairs (`holdout_weeks`), and everything else is the same.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import time

import numpy as np
import scipy.sparse as sp

from ..config import Settings
from ..engine import Engine
from ..errors import InputError
from ..evaluate.metrics import ndcg_at_k, recall_at_k
from ..evaluate.splits import Interactions, holdout_split, last_full_week, time_split
from ..kernels import lookup
from ..models import registry
from ..progress import progress
from ..runs import record_run
from .assemble import fill_short, select
from .candidates import ALL_SOURCES, candidates
from .context import Context
from .features import features
from .prepare import SplitContexts, holdout_context, split_context
from .rank import RANKER, CollaborativeOrder, FixedBlend, LearnedRanker, little_history, shortlist

BATCH = 2048


def training_data(ctx: Context, settings: Settings, users: np.ndarray, history: sp.csr_matrix,
                  test: sp.csr_matrix, *, label: str = "Candidates") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X (U, C, F), y (U, C): 1 newly played / 0 / -1 pad, ids (U, C)) for `users`, whose
    histories are the rows of `history`."""
    Xs, ys, ids = [], [], []
    with progress(label, total=len(users)) as step:
        for start in range(0, len(users), BATCH):
            batch = users[start:start + BATCH]
            heard = history[batch]
            cand = candidates(ctx, batch, heard, heard, settings.blend, ALL_SOURCES)
            cand, X = shortlist(ctx, batch, heard, cand, features(ctx, batch, heard, cand, full=False),
                                settings.blend, max(settings.blend.rescore, settings.weekly.size))
            rows = sp.csr_matrix(test[batch])
            y = np.where(cand.ids >= 0, lookup(rows, cand.ids).astype(np.int8), -1)
            Xs.append(X)
            ys.append(y)
            ids.append(cand.ids)
            step.advance(len(batch))
    return _stack(Xs, np.nan), _stack(ys, -1), _stack(ids, -1)


def _stack(parts: list, fill) -> np.ndarray:
    """Concatenate (n, C_i, ...) arrays along the first axis, padding the candidate axis with `fill`."""
    width = max(a.shape[1] for a in parts)
    return np.concatenate([np.pad(a, [(0, 0), (0, width - a.shape[1])] + [(0, 0)] * (a.ndim - 2),
                                  constant_values=fill) for a in parts])


def list_quality(scores: np.ndarray, y: np.ndarray, n_relevant: np.ndarray, k: int) -> dict:
    """Recall and NDCG at k of the lists the scores make (top k by score; no caps)."""
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    hits = np.take_along_axis(np.maximum(y, 0), order, 1).astype(np.float64)
    hits[np.take_along_axis(~np.isfinite(scores), order, 1)] = 0
    return {"recall": float(recall_at_k(hits, n_relevant).mean()),
            "ndcg": float(ndcg_at_k(hits, n_relevant).mean())}


#: the fixed blend's weights tried on the training weeks: every combination of the values of
#: each weight whose model is there (a weight of a model the contexts lack keeps its setting);
#: a negative w_pop is a discount on popular tracks
WEIGHT_VALUES = {"w_pop": (-0.6, -0.3, 0.0, 0.1, 0.3), "w_text": (0.0, 0.25, 0.5), "w_audio": (0.5, 1.0),
                 "w_item": (0.0, 0.5, 1.0)}
#: the grid of a context with every model, as (w_pop, w_text, w_audio, w_item)
FIXED_GRID = [(wp, wt, wa, wi) for wp in WEIGHT_VALUES["w_pop"] for wt in WEIGHT_VALUES["w_text"]
              for wa in WEIGHT_VALUES["w_audio"] for wi in WEIGHT_VALUES["w_item"]]


def weight_grid(contexts: list[Context], blend) -> list[dict]:
    """The points of the fixed blend's grid for these contexts (see `WEIGHT_VALUES`)."""
    present = {"w_pop": True, "w_text": all(c.text is not None for c in contexts),
               "w_audio": all(c.audio is not None for c in contexts),
               "w_item": all(c.item is not None for c in contexts)}
    axes = {name: values if present[name] else (getattr(blend, name),) for name, values in WEIGHT_VALUES.items()}
    names = list(axes)
    return [dict(zip(names, point)) for point in itertools.product(*axes.values())]


@dataclasses.dataclass
class Week:
    """One training week: the models fitted before it, the users it trains on, what everyone had
    heard before it and what they newly played in it."""
    ctx: Context
    users: np.ndarray
    history: sp.csr_matrix
    test: sp.csr_matrix
    name: str


def training_weeks(engine: Engine, settings: Settings, newest: dt.datetime, *, weeks: int | None = None,
                   users: int | None = None, cache: SplitContexts | None = None) -> list[Week]:
    """The week of `newest` (a Monday) and the ``[blend] ranker_weeks`` − 1 before it (fewer where
    the events do not reach back that far), each with the models fitted on the events before it
    and a seeded sample of at most ``users / weeks`` of its users (default ``[blend] ranker_users``).
    ``cache``: contexts the caller keeps for later steps of the same run."""
    weeks = weeks or settings.blend.ranker_weeks
    per_week = max(1, (users or settings.blend.ranker_users) // weeks)
    rng = np.random.default_rng(settings.blend.seed)
    out = []
    for i in range(weeks):
        start = newest - dt.timedelta(weeks=i)
        try:
            split = time_split(engine, settings.signals, week_start=start)
        except InputError:
            break                   # no events before that week: the history is shorter
        chosen = split.users
        if not len(chosen):
            continue
        if len(chosen) > per_week:
            chosen = np.sort(rng.choice(chosen, per_week, replace=False))
        out.append(Week(split_context(engine, settings, split, cache=cache), chosen,
                        split.train_matrix(settings.signals), sp.csr_matrix(split.test), split.info["week"]))
    if not out:
        raise InputError(f"No week up to {newest:%Y-%m-%d} has both events before it and new plays in "
                         f"it: the blend's ranker and weights need at least two weeks of timestamped events")
    return out


def holdout_weeks(engine: Engine, settings: Settings, *, users: int | None = None) -> list[Week]:
    """For events without timestamps: one "week" cut as the SPEC hold-out (users with at least 5
    positive tracks give a seeded 20 % of them as labels; seed ``[blend] seed``), the models
    fitted on the rest (`prepare.holdout_context`), a seeded sample of at most ``[blend]
    ranker_users`` of its users."""
    data = Interactions.from_engine(engine, settings.signals)
    split = holdout_split(data, fraction=0.2, min_items=5, seed=settings.blend.seed)
    chosen = split.users
    if not len(chosen):
        raise InputError("No user has the 5 liked tracks a hold-out needs: the blend's ranker and "
                         "weights cannot be learned from these events")
    limit = users or settings.blend.ranker_users
    if len(chosen) > limit:
        chosen = np.sort(np.random.default_rng(settings.blend.seed).choice(chosen, limit, replace=False))
    return [Week(holdout_context(engine, settings, split), chosen, split.train_matrix(settings.signals),
                 sp.csr_matrix(split.test), "hold-out")]


def stacked_training_data(weeks: list[Week], settings: Settings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`training_data` of every week, stacked (one query per user and week)."""
    parts = [training_data(w.ctx, settings, w.users, w.history, w.test, label=f"Ranker training data ({w.name})")
             for w in weeks]
    return tuple(_stack([p[i] for p in parts], fill) for i, fill in ((0, np.nan), (1, -1), (2, -1)))


def tune_fixed(weeks: list[Week], settings: Settings) -> tuple[Settings, list]:
    """The fixed blend's weights (`FIXED_GRID`) for the lists the weekly job would write (caps
    and shares included), over the users of all `weeks`: among the points whose mean recall is
    within ``[blend] discovery`` (a share) of the best, the one whose lists reach the most of the
    catalogue. Candidates and their scores are computed once; only the ranking and assembly are
    repeated per point. Each point's recall and coverage is returned (the trade-off's curve)."""
    batches = []
    total = sum(len(w.users) for w in weeks)
    with progress("Candidates for the fixed blend's weights", total=total) as step:
        for w in weeks:
            for start in range(0, len(w.users), BATCH):
                batch = w.users[start:start + BATCH]
                heard = w.history[batch]
                cand = candidates(w.ctx, batch, heard, heard, settings.blend, ALL_SOURCES)
                n_rel = np.maximum(np.diff(w.test[batch].indptr), 1)
                batches.append((w, batch, cand, features(w.ctx, batch, heard, cand, full=False), n_rel))
                step.advance(len(batch))
    tried = []
    grid = weight_grid([w.ctx for w in weeks], settings.blend)
    with progress("Choosing the fixed blend's weights", total=len(grid)) as step:
        for point in grid:
            s = dataclasses.replace(settings, blend=dataclasses.replace(settings.blend, **point))
            recall, reached = [], {id(w): np.zeros(w.ctx.n_items, bool) for w in weeks}
            for w, batch, cand, X0, n_rel in batches:
                picked = select(w.ctx, cand, FixedBlend(s.blend).score(X0), weekly=s.weekly, blend=s.blend)
                picked = fill_short(w.ctx, picked, w.history[batch], s.weekly)
                recall.append(lookup(w.test[batch], picked.ids).sum(axis=1) / n_rel)
                reached[id(w)][picked.ids[picked.ids >= 0]] = True
            coverage = float(np.mean([r.mean() for r in reached.values()]))
            tried.append({"recall": round(float(np.concatenate(recall).mean()), 5),
                          "coverage": round(coverage, 5), **point})
            step.advance()
    chosen = choose_weights(tried, settings.blend.discovery)
    return dataclasses.replace(settings, blend=dataclasses.replace(settings.blend, **chosen)), tried


def choose_weights(tried: list[dict], discovery: float) -> dict:
    """The weights of the point with the most coverage among those whose recall is within
    ``discovery`` (a share) of the best; ``discovery = 0``: the best recall. Ties: the higher
    recall, the smaller popularity and text weights, the larger audio and item weights."""
    best = max(t["recall"] for t in tried)
    near = [t for t in tried if t["recall"] >= (1 - discovery) * best]
    point = max(near, key=lambda t: (t["coverage"] if discovery > 0 else 0, t["recall"],
                                     -t["w_pop"], -t["w_text"], t["w_audio"], t["w_item"]))
    return {k: v for k, v in point.items() if k not in ("recall", "coverage")}


def cross_validated(X: np.ndarray, y: np.ndarray, n_rel: np.ndarray, who: np.ndarray, settings: Settings,
                    folds: int, k: int) -> dict:
    """Recall and NDCG at k of the learned ranker (out of fold: whole users split into `folds`,
    each scored by a ranker fitted on the others), the fixed blend and collaborative order, over
    every user-week and over those with little history."""
    fold = np.random.default_rng(settings.blend.seed).integers(0, folds, int(who.max()) + 1)[who]
    learned = np.full(y.shape, -np.inf)
    with progress("Cross-validating the ranker (folds)", total=folds) as step:
        for f in range(folds):
            out = fold == f
            if out.any() and (~out).any():
                learned[out] = LearnedRanker(settings.blend).fit(X[~out], y[~out]).score(X[out])
            step.advance()
    scores = {"learned": learned, "fixed": FixedBlend(settings.blend).score(X),
              "collaborative": CollaborativeOrder().score(X)}
    light = little_history(X)
    return {**{name: list_quality(s, y, n_rel, k) for name, s in scores.items()},
            "users": int(len(y)), "folds": folds,
            # the same on the users with little history: they may be better served by another
            "little history": {"users": int(light.sum()), **(
                {name: list_quality(s[light], y[light], n_rel[light], k) for name, s in scores.items()}
                if light.any() else {})}}


@dataclasses.dataclass
class RankerResult:
    version: str
    week: str                  # the newest training week
    weeks: list                # every training week, newest first
    users: int                 # queries (user-weeks) with a new play among their candidates
    rows: int
    held_out: dict
    importance: dict
    seconds: float
    weights: dict = dataclasses.field(default_factory=dict)   # the fixed blend's, as chosen
    tried: list = dataclasses.field(default_factory=list)     # every grid point's recall and coverage


def train_ranker(engine: Engine, settings: Settings, *, week_start: dt.datetime | None = None,
                 folds: int = 5, cache: SplitContexts | None = None) -> RankerResult:
    """Train on the week of `week_start` (default: the last full week) and the ``[blend]
    ranker_weeks`` − 1 before it; choose the fixed blend's weights on the same weeks. ``cache``:
    contexts the caller keeps for later steps of the same run (the blend's ablation).

    The learned ranker is compared with the fixed blend and collaborative order on every user-week,
    cross-validated over whole users (`folds`): each fold's lists come from a ranker trained on
    the other folds. The fixed blend's weights are chosen on all the user-weeks, which favours it
    a little in that comparison."""
    started = time.perf_counter()
    newest = week_start or last_full_week(engine)
    if newest is None:           # no time to split by: labels from a hold-out of the pairs
        weeks = holdout_weeks(engine, settings)
    else:
        weeks = training_weeks(engine, settings, newest, cache=cache)
    settings, tried = tune_fixed(weeks, settings)
    X, y, _ = stacked_training_data(weeks, settings)
    n_rel = np.concatenate([np.diff(w.test[w.users].indptr) for w in weeks])
    who = np.concatenate([w.users for w in weeks])
    k = settings.weekly.size
    compare = cross_validated(X, y, n_rel, who, settings, folds, k)
    model = LearnedRanker(settings.blend).fit(X, y)
    names = [w.name for w in weeks]
    manifest = {"created_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                "data_fingerprint": f"{names[0]}-{sum(len(w.history.data) for w in weeks):012d}",
                "week": names[0], "weeks": names, "queries": model.n_queries_, "rows": model.n_rows_,
                "positive_rate": round(model.positive_rate_, 5), "held_out": compare,
                "importance": model.importance(), "blend_params": dataclasses.asdict(settings.blend),
                "fixed_weights_tried": tried}
    version = registry.save_version(settings.models_dir, RANKER, model, manifest)
    record_run(engine, "train", version, {"kind": RANKER, "week": names[0], "weeks": names})
    b = settings.blend
    return RankerResult(version, names[0], names, model.n_queries_, model.n_rows_, compare,
                        model.importance(), round(time.perf_counter() - started, 2),
                        {"w_pop": b.w_pop, "w_text": b.w_text, "w_audio": b.w_audio, "w_item": b.w_item}, tried)
