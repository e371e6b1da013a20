"""Training the learned ranker on a time split (``tastemaker train ranker``).

    >>> result = train_ranker(wh, settings)          # the last full week of events

The models are fitted on the events before the week (`split_context`: ALS, and the audio network
on its vectors; the text model as saved), every user with a new play in the week (at most
``[blend] ranker_users`` of them, a seeded sample) gets their
candidates from all sources, each labelled 1 when the user newly played it that week. A seeded
20 % of those users are held out to compare the ranker with the fixed blend and collaborative
order (recall and NDCG at the list size); the saved ranker is then refitted on all of them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time

import numpy as np
import scipy.sparse as sp

from ..config import Settings
from ..evaluate.metrics import ndcg_at_k, recall_at_k
from ..evaluate.splits import time_split
from ..progress import progress
from ..warehouse import Warehouse
from .candidates import ALL_SOURCES, candidates
from .context import Context, split_context
from .features import features
from .rank import CollaborativeOrder, FixedBlend, LearnedRanker

BATCH = 2048


def training_data(ctx: Context, settings: Settings, users: np.ndarray, test: sp.csr_matrix,
                  *, label: str = "Candidates") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X (U, C, F), y (U, C): 1 newly played / 0 / -1 pad, ids (U, C)) for `users`."""
    heard = ctx.user_items
    Xs, ys, ids = [], [], []
    with progress(label, total=len(users)) as step:
        for start in range(0, len(users), BATCH):
            batch = users[start:start + BATCH]
            cand = candidates(ctx, batch, heard[batch], settings.blend, ALL_SOURCES)
            X = features(ctx, batch, cand)
            rows = sp.csr_matrix(test[batch])
            from .candidates import _lookup
            y = np.where(cand.ids >= 0, _lookup(rows, cand.ids).astype(np.int8), -1)
            Xs.append(X)
            ys.append(y)
            ids.append(cand.ids)
            step.advance(len(batch))
    width = max(x.shape[1] for x in Xs)
    pad = lambda a, fill: np.pad(a, [(0, 0), (0, width - a.shape[1])] + [(0, 0)] * (a.ndim - 2),  # noqa: E731
                                 constant_values=fill)
    return (np.concatenate([pad(x, np.nan) for x in Xs]), np.concatenate([pad(y, -1) for y in ys]),
            np.concatenate([pad(i, -1) for i in ids]))


def list_quality(scores: np.ndarray, y: np.ndarray, n_relevant: np.ndarray, k: int) -> dict:
    """Recall and NDCG at k of the lists the scores make (top k by score; no caps)."""
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    hits = np.take_along_axis(np.maximum(y, 0), order, 1).astype(np.float64)
    hits[np.take_along_axis(~np.isfinite(scores), order, 1)] = 0
    return {"recall": float(recall_at_k(hits, n_relevant).mean()),
            "ndcg": float(ndcg_at_k(hits, n_relevant).mean())}


@dataclasses.dataclass
class RankerResult:
    version: str
    week: str
    users: int
    rows: int
    held_out: dict
    importance: dict
    seconds: float


def train_ranker(wh: Warehouse, settings: Settings, *, week_start: dt.datetime | None = None,
                 holdout: float = 0.2) -> RankerResult:
    from ..models import registry
    from ..train import record_run
    from . import RANKER

    started = time.perf_counter()
    split = time_split(wh, settings.signals, week_start=week_start)
    ctx = split_context(wh, settings, split)
    rng = np.random.default_rng(settings.blend.seed)
    users = split.users
    if len(users) > settings.blend.ranker_users:
        users = np.sort(rng.choice(users, settings.blend.ranker_users, replace=False))
    X, y, _ = training_data(ctx, settings, users, split.test)
    n_rel = np.diff(sp.csr_matrix(split.test[users]).indptr)
    held = rng.random(len(users)) < holdout
    k = settings.weekly.size
    check = LearnedRanker(settings.blend).fit(X[~held], y[~held])
    compare = {name: list_quality(s.score(X[held]), y[held], n_rel[held], k) for name, s in
               (("learned", check), ("fixed", FixedBlend(settings.blend)), ("collaborative", CollaborativeOrder()))}
    compare["users"] = int(held.sum())
    model = LearnedRanker(settings.blend).fit(X, y)
    manifest = {"created_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                "data_fingerprint": f"{split.info['week']}-{len(split.train):010d}",
                "week": split.info["week"], "queries": model.n_queries_, "rows": model.n_rows_,
                "positive_rate": round(model.positive_rate_, 5), "held_out": compare,
                "importance": model.importance(), "blend_params": dataclasses.asdict(settings.blend)}
    version = registry.save_version(settings.models_dir, RANKER, model, manifest)
    record_run(wh, "train", version, {"kind": RANKER, "week": split.info["week"]})
    return RankerResult(version, split.info["week"], model.n_queries_, model.n_rows_, compare,
                        model.importance(), round(time.perf_counter() - started, 2))
