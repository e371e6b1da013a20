"""One Discover Weekly from three models: candidates, features, ranking, assembly (engine-independent).

    >>> ctx = production_context(engine, settings, monday, shape=history.shape)   # reads, never writes
    >>> blend = Blend.from_context(ctx, settings=settings, scorer=make_scorer(settings, ctx), flow=True)
    >>> week = blend.lists(users, history[users], exclude=exclude[users])

Modules, in the order a batch of users goes through them: `context` (the frozen `Context` of a
week: vectors, per-track facts, the audio and text models' parts) and `prepare` (building it from
the engine and the model registry: saved models, or models fitted on a time split) →
`candidates` from each model (collaborative, text, audio, popular), labelled by source →
`features` per (user, candidate) → a score (`rank`: the learned LightGBM ranker, the fixed-weight
blend, or collaborative order) → `assemble` (artist cap, audio share, fresh share, short lists
filled, source and reason) → `flow` (an order that flows). `recommender.Blend` puts them behind
the `Recommender` protocol. The ranker is trained by `train` on the last weeks' time splits;
`evaluate` measures every combination of sources in one run.
"""

from __future__ import annotations

from .assemble import SOURCES
from .candidates import ALL_SOURCES, Candidates, candidates
from .context import Context, TrackFacts, build_context
from .features import FEATURES, features
from .prepare import SplitContexts, production_context, split_context, track_facts
from .rank import RANKER, CollaborativeOrder, FixedBlend, LearnedRanker, Scorer, make_scorer
from .recommender import Blend, WeekBatch, sources_for

__all__ = ["Blend", "Candidates", "CollaborativeOrder", "Context", "FEATURES", "FixedBlend", "LearnedRanker",
           "RANKER", "SOURCES", "ALL_SOURCES", "Scorer", "SplitContexts", "TrackFacts", "WeekBatch",
           "build_context", "candidates", "features", "make_scorer", "production_context", "sources_for",
           "split_context", "track_facts"]
