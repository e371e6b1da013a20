"""The blend as a `Recommender`: one list per user from every model, through the same protocol as
the models it blends.

    >>> blend = Blend.from_context(ctx, scorer=make_scorer(settings, ctx), settings=settings, flow=True)
    >>> week = blend.lists(users, history[users], exclude=recently_recommended[users])   # the week's job
    >>> ids, scores = blend.recommend(users, history[users], N=30)                       # the evaluator

or, fitted like any model (the collaborative model is any model with ``vectors()``):

    >>> blend = Blend(ALS(factors=64), settings=settings, facts=TrackFacts.from_matrix(train, artist_of))
    >>> evaluate_model(blend, split, weights=settings.signals, k=30)

A batch of users goes through `candidates` (each source, labelled) → cheap `features` → the
scorer's ``rank`` (collaborative order, fixed blend, or the learned ranker on a shortlist) →
`select` (artist cap, audio share, fresh share) → `fill_short` → `label` (source and reason) →
flow order (`tastemaker.blend.flow`) when asked. `lists` returns all of it as a `WeekBatch`;
`recommend` the ids and scores.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import scipy.sparse as sp

from ..config import Settings
from ..errors import NotFittedError, ParameterError
from ..models.base import Recommender, rows_for
from ..train import fit_neighbours
from .assemble import Picked, fill_short, label, select
from .candidates import ALL_SOURCES, candidates
from .context import Context, TrackFacts, build_context
from .features import features
from .flow import flow_order_batch, list_features
from .rank import FixedBlend, Scorer


@dataclass
class WeekBatch:
    users: np.ndarray
    ids: np.ndarray          # (B, size) in play order, -1 pad
    scores: np.ndarray
    source: np.ndarray       # (B, size) index into assemble.SOURCES
    because: np.ndarray      # (B, size) reason track, -1 none
    text_reason: np.ndarray  # (B, size) object: reasons of text picks, "" otherwise

    def table(self, sources) -> pa.Table:
        """The batch as the warehouse's playlist rows (padding left out): ``user_idx``,
        ``position`` (from 1), ``track_idx``, ``score`` (NaN where none), ``source`` (its name
        in `sources`), ``reason_track_idx`` (null where none), ``reason``."""
        ids = self.ids
        valid = ids >= 0
        r, c = np.nonzero(valid)
        because = self.because[r, c]
        sc = self.scores[r, c]
        return pa.table({
            "user_idx": pa.array(self.users[r].astype(np.int32)),
            "position": pa.array((np.cumsum(valid, axis=1)[r, c]).astype(np.int16)),
            "track_idx": pa.array(ids[r, c].astype(np.int32)),
            "score": pa.array(np.where(np.isfinite(sc), sc, np.nan).astype(np.float32)),
            "source": pa.array(np.asarray(sources)[self.source[r, c]].astype(str)),
            "reason_track_idx": pa.array(np.where(because >= 0, because, 0).astype(np.int32), mask=because < 0),
            "reason": pa.array(self.text_reason[r, c].astype(str)),
        })


def sources_for(mode: str) -> tuple[str, ...]:
    """The candidate sources a ranking uses: collaborative order sees collaborative and popular
    candidates only."""
    return ("cf", "popular") if mode == "collaborative" else ALL_SOURCES


class Blend(Recommender):
    """The weekly list as a recommender. ``collaborative``: the model whose vectors the blend
    builds on (fitted by `fit`); ``audio``: instead, a model that fits its own collaborative model
    and predicts vectors for tracks with audio (`tastemaker.audio_model.cold.AudioCold`);
    ``scorer``: a `Scorer` (default the fixed blend); ``sources``: candidate sources (default
    those of the scorer); ``facts``: per-track facts (default: read off the training matrix);
    ``text``: the text model's artist neighbours; ``flow``: order each list to flow."""

    name = "blend"

    def __init__(self, collaborative: Recommender | None = None, *, settings: Settings,
                 scorer: Scorer | None = None, sources: tuple[str, ...] | None = None,
                 audio: Recommender | None = None, facts: TrackFacts | None = None,
                 text: sp.csr_matrix | None = None, flow: bool = False):
        self.collaborative = collaborative
        self.settings = settings
        self.scorer = scorer if scorer is not None else FixedBlend(settings.blend)
        self.sources = tuple(sources) if sources is not None else sources_for(self.scorer.name)
        self.audio = audio
        self.facts = facts
        self.text = text
        self.flow = flow

    @classmethod
    def from_context(cls, context: Context, *, settings: Settings, scorer: Scorer | None = None,
                     sources: tuple[str, ...] | None = None, flow: bool = False) -> "Blend":
        """A blend over models already fitted (the saved ones, or those of a time split)."""
        blend = cls(settings=settings, scorer=scorer, sources=sources, flow=flow)
        blend.context_ = context
        return blend

    def get_params(self) -> dict:
        return {"ranking": self.scorer.name, "sources": list(self.sources), "flow": self.flow,
                "blend": dataclasses.asdict(self.settings.blend),
                "collaborative": None if self.collaborative is None else type(self.collaborative).__name__}

    def fit(self, user_items: sp.csr_matrix) -> "Blend":
        """Fit the collaborative model (or the audio model and its collaborative model) on
        `user_items` and build the context."""
        user_items = sp.csr_matrix(user_items)
        predicted = None
        if self.audio is not None:
            self.audio.fit(user_items)
            cf = self.audio.cf_
            idx = np.flatnonzero(self.audio.has_audio_)
            predicted = (idx, self.audio.item_vectors_[idx])
        elif self.collaborative is not None:
            cf = self.collaborative.fit(user_items)
        else:
            raise ParameterError("Blend.fit needs a collaborative model (or an audio model) to fit")
        facts = self.facts if self.facts is not None else TrackFacts.from_matrix(user_items)
        s = self.settings
        item = fit_neighbours(user_items, s.neighbours) if "item" in self.sources else None
        self.context_ = build_context(cf, facts, shape=user_items.shape, params=s.blend,
                                      min_history=s.weekly.min_history, cold_plays=s.audio_model.min_plays,
                                      audio=predicted, text=self.text, item=item)
        return self

    def lists(self, userids, user_items: sp.csr_matrix, N: int | None = None, *,
              exclude: sp.csr_matrix | None = None, banned: np.ndarray | None = None) -> WeekBatch:
        """The lists of a batch of users (``N`` tracks, default ``[weekly] size``). ``user_items``:
        their histories (their rows, or the whole matrix); ``exclude`` (B, n_items): tracks never
        to list for each (default: what they heard); ``banned`` (n_items,) bool: for nobody."""
        if not hasattr(self, "context_"):
            raise NotFittedError("Blend is not fitted yet: call fit() or build it with Blend.from_context")
        ctx = self.context_
        users = np.atleast_1d(np.asarray(userids, dtype=np.int64))
        rows = sp.csr_matrix(rows_for(users, user_items))
        exclude = rows if exclude is None else sp.csr_matrix(exclude)
        weekly = self.settings.weekly if N is None else dataclasses.replace(
            self.settings.weekly, size=int(N), candidates=max(self.settings.weekly.candidates, int(N)),
            audio_share=min(self.settings.weekly.audio_share, int(N)))
        blend = self.settings.blend
        cand = candidates(ctx, users, rows, exclude, blend, self.sources, banned)
        X = features(ctx, users, rows, cand, full=False)
        cand, scores = self.scorer.rank(ctx, users, rows, cand, X, weekly.size)
        picked = select(ctx, cand, scores, weekly=weekly, blend=blend)
        picked = fill_short(ctx, picked, exclude, weekly, banned)
        source, because, text = label(ctx, users, rows, cand, picked)
        if self.flow and blend.flow:
            picked, source, because, text = _flow(ctx, picked, source, because, text)
        return WeekBatch(users, picked.ids, picked.scores, source, because, text)

    def recommend(self, userids, user_items: sp.csr_matrix, N: int = 30, *,
                  filter_already_liked_items: bool = True, filter_items=None):
        """Top-N tracks of the blend's list (in list order); tracks added to fill a short list
        score below the others."""
        self._check_fitted()
        single = np.isscalar(userids)
        users = np.atleast_1d(np.asarray(userids, dtype=np.int64))
        rows = sp.csr_matrix(rows_for(users, user_items))
        exclude = rows if filter_already_liked_items else sp.csr_matrix(rows.shape, dtype=np.float32)
        banned = None
        if filter_items is not None and len(filter_items):
            banned = np.zeros(self.context_.n_items, dtype=bool)
            banned[np.asarray(filter_items, dtype=np.int64)] = True
        week = self.lists(users, rows, N, exclude=exclude, banned=banned)
        ids, scores = week.ids, list_scores(week.ids, week.scores)
        return (ids[0], scores[0]) if single else (ids, scores)

    def _score(self, userids, user_items):   # the blend ranks candidates, never every item
        raise NotImplementedError("Blend ranks its candidates: use recommend or lists")


def list_scores(ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Scores with the fill-ups (valid ids scored -inf) below the lowest real score, in order."""
    scores = np.asarray(scores, dtype=np.float32).copy()
    fill = (ids >= 0) & ~np.isfinite(scores)
    if fill.any():
        real = np.where((ids >= 0) & np.isfinite(scores), scores, np.inf).min(axis=1, keepdims=True)
        real = np.where(np.isfinite(real), real, 0.0)
        rank = np.cumsum(fill, axis=1)
        scores = np.where(fill, real - rank, scores)
    scores[ids < 0] = -np.inf
    return scores


def _flow(ctx: Context, picked: Picked, source, because, text):
    feats = {"tempo": ctx.tempo, "key": ctx.key, "mode": ctx.mode, "loudness": ctx.loudness}
    args = list_features(picked.ids, feats)
    order = flow_order_batch(args["tempo"], args["key"], args["mode"], args["loudness"],
                             lengths=args["lengths"], first=0)
    take = lambda a: np.take_along_axis(a, order, 1)   # noqa: E731
    return (Picked(take(picked.ids), take(picked.scores), take(picked.cols)), take(source),
            take(because), take(text))
