"""One Discover Weekly from three models: candidates, features, ranking, assembly (engine-independent).

    >>> ctx = production_context(wh, settings, monday, user_items=history)
    >>> scorer = make_scorer(settings)                      # learned, fixed or collaborative
    >>> week = rank_batch(ctx, users, exclude_rows, scorer, settings)

Per batch of users: `candidates` from each model (collaborative, text, audio, popular), labelled
by source → `features` per (user, candidate) → a score (`rank`: the learned LightGBM ranker, the
fixed-weight blend, or collaborative order) → `assemble.select` (artist cap, audio share, fresh
share, size) → `assemble.label` (source and reason) → flow order (`tastemaker.weekly.flow`).
The ranker is trained by `tastemaker.blend.train` on a time split; `tastemaker.blend.evaluate`
measures every combination of sources in one run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import Settings
from ..errors import NotFoundError, ParameterError
from .assemble import SOURCES, Picked, fill_short, label, select
from .candidates import ALL_SOURCES, Candidates, candidates
from .context import Context, production_context, split_context
from .features import FEATURES, features
from .rank import CollaborativeOrder, FixedBlend, LearnedRanker, learned_scores

__all__ = ["Context", "production_context", "split_context", "candidates", "features", "FEATURES",
           "CollaborativeOrder", "FixedBlend", "LearnedRanker", "make_scorer", "rank_batch", "WeekBatch",
           "SOURCES", "RANKER", "sources_for"]

RANKER = "ranker"      # models/ranker/VERSION


@dataclass
class WeekBatch:
    users: np.ndarray
    ids: np.ndarray          # (B, size) in play order, -1 pad
    scores: np.ndarray
    source: np.ndarray       # (B, size) index into SOURCES
    because: np.ndarray      # (B, size) reason track, -1 none
    text_reason: np.ndarray  # (B, size) object: reasons of text picks, "" otherwise


def sources_for(mode: str) -> tuple[str, ...]:
    return ("cf", "popular") if mode == "collaborative" else ALL_SOURCES


def make_scorer(settings: Settings, ctx: Context | None = None, *, mode: str | None = None):
    """The scorer for ``mode`` (default ``[blend] mode``); ``auto`` takes the learned ranker when
    one is trained and it beat the fixed blend on its held-out users (else that fixed blend, with
    the weights chosen with it), else the fixed blend when the text or audio model is there, else
    collaborative order."""
    mode = mode or settings.blend.mode
    if mode in ("auto", "learned"):
        import json

        from ..models import registry
        try:
            folder = registry.resolve(settings.models_dir, RANKER)
            ranker = LearnedRanker.load(folder, settings.blend)
            ranker.version = folder.name
            held = json.loads((folder / "manifest.json").read_text()).get("held_out", {})
            if mode == "auto" and held.get("fixed", {}).get("recall", 0) > held.get("learned", {}).get("recall", 1):
                # the ranker lost to the fixed blend on its held-out users: use that blend, with
                # the weights chosen alongside it
                fixed = FixedBlend(ranker.params)
                fixed.version = f"fixed weights of {folder.name}"
                return fixed
            return ranker
        except NotFoundError:
            if mode == "learned":
                raise
        has_more = ctx is None or ctx.text is not None or ctx.audio is not None
        return FixedBlend(settings.blend) if has_more else CollaborativeOrder()
    if mode == "fixed":
        return FixedBlend(settings.blend)
    if mode == "collaborative":
        return CollaborativeOrder()
    raise ParameterError(f"Unknown blend mode {mode!r}; expected auto, learned, fixed or collaborative")


def rank_batch(ctx: Context, users: np.ndarray, exclude_rows, scorer, settings: Settings, *,
               sources=ALL_SOURCES, flow: dict | None = None) -> WeekBatch:
    """The lists of a batch of users. ``flow``: track features (`weekly.flow.track_features`)
    to order each list for smooth transitions, or None to keep score order."""
    cand = candidates(ctx, users, exclude_rows, settings.blend, sources)
    X = features(ctx, users, cand, full=False)
    if isinstance(scorer, LearnedRanker):
        cand, scores = learned_scores(ctx, users, cand, X, scorer, max(settings.blend.rescore, settings.weekly.size))
    else:
        scores = scorer.score(X)
    picked = select(ctx, cand, scores, weekly=settings.weekly, blend=settings.blend)
    picked = fill_short(ctx, picked, exclude_rows, settings.weekly)
    source, because, text = label(ctx, users, cand, picked)
    if flow is not None and settings.blend.flow:
        picked, source, because, text = _flow(picked, source, because, text, flow)
    return WeekBatch(np.asarray(users), picked.ids, picked.scores, source, because, text)


def _flow(picked: Picked, source, because, text, feats: dict):
    from ..weekly.flow import flow_order_batch, list_features
    args = list_features(picked.ids, feats)
    order = flow_order_batch(args["tempo"], args["key"], args["mode"], args["loudness"],
                             lengths=args["lengths"], first=0)
    take = lambda a: np.take_along_axis(a, order, 1)   # noqa: E731
    return (Picked(take(picked.ids), take(picked.scores), take(picked.cols)), take(source),
            take(because), take(text))
