"""Ranking the candidates: collaborative order, the fixed-weight blend, and the learned ranker.

    >>> scorer = FixedBlend(settings.blend)                  # or CollaborativeOrder(), LearnedRanker.load(folder)
    >>> scores = scorer.score(X)                             # (B, C): higher first, -inf = never
    >>> cand, scores = scorer.rank(ctx, users, rows, cand, X0, size)   # what the week's lists use

Every scorer is a `Scorer`: ``score`` of a feature array, and ``rank`` of a batch's candidates
from their cheap features (the fixed blend and collaborative order score them as they are; the
learned ranker reorders a shortlist with full features).

`LearnedRanker` is LightGBM's lambdarank: one query per user, relevance 1 for the candidates the
user newly played in the week after the models' data ended (a time split; see `tastemaker.blend.train`).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from ..config import BlendParams, Settings
from ..errors import InputError, NotFoundError, ParameterError
from ..kernels import zscore
from ..models import registry
from .candidates import AUDIO, TEXT
from .features import INDEX, RANKED, features

COLUMNS = np.array([INDEX[f] for f in RANKED])
RANKER = "ranker"      # models/ranker/VERSION


#: users with fewer liked tracks than this have "little history": a segment with its own scorer
#: where the held-out users show another one ranks them better (`BySegment`)
LIGHT = 10
#: a segment gets its own choice of scorer only with at least this many held-out users in it
MIN_SEGMENT_USERS = 30


def little_history(X: np.ndarray) -> np.ndarray:
    """(B,) True for the users of a feature array with fewer than `LIGHT` liked tracks."""
    h = X[..., INDEX["history"]]
    h = np.where(np.isnan(h), -np.inf, h).max(axis=1, initial=-np.inf)
    return np.isfinite(h) & (h < np.log1p(LIGHT) - 1e-6)


def invalid(X: np.ndarray) -> np.ndarray:
    """(B, C) True for padding rows of a feature array (they have every feature NaN)."""
    return np.isnan(X[..., INDEX["history"]])


class Scorer:
    """Scores (B, C) of a batch's candidates from their features; higher first, -inf never."""

    name = "scorer"

    def score(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def rank(self, ctx, users, rows, cand, X0: np.ndarray, size: int):
        """(candidates, scores) of a batch from the cheap features `X0` (`features(full=False)`);
        ``size`` is the list size."""
        return cand, self.score(X0)


class CollaborativeOrder(Scorer):
    """User · item vector; tracks without one (the fallback) after, by listeners."""

    name = "collaborative"

    def score(self, X: np.ndarray) -> np.ndarray:
        cf = X[..., INDEX["cf_score"]]
        fallback = -1e6 + np.nan_to_num(X[..., INDEX["track_listeners"]])
        s = np.where(np.isfinite(cf), cf, fallback)
        return np.where(invalid(X), -np.inf, s).astype(np.float32)


class FixedBlend(Scorer):
    """z(space score) [× w_audio where the audio model stands in] + w_text·z(text) + w_item·z(item)
    + w_pop·z(listeners)."""

    name = "fixed"

    def __init__(self, params: BlendParams | None = None):
        self.params = params or BlendParams()

    def score(self, X: np.ndarray) -> np.ndarray:
        p = self.params
        space = zscore(X[..., INDEX["space_score"]])
        by_audio = np.isnan(X[..., INDEX["cf_score"]]) & np.isfinite(X[..., INDEX["audio_score"]])
        space = np.where(by_audio, space * p.w_audio, space)
        # a cold track has (almost) no listeners yet: its popularity is unknown, not low
        pop = np.where(X[..., INDEX["cold"]] == 1, 0.0, zscore(X[..., INDEX["track_listeners"]]))
        s = space + p.w_text * zscore(X[..., INDEX["text_score"]]) + p.w_pop * pop
        item = X[..., INDEX["item_score"]]
        if np.isfinite(item).any():           # no item model: no term (not a constant shift)
            # a track the item model has not seen (placed by sound): neutral, as for popularity
            s = s + p.w_item * np.where(np.isfinite(item), zscore(item), 0.0)
        return np.where(invalid(X), -np.inf, s).astype(np.float32)


def prior(X: np.ndarray, params: BlendParams) -> np.ndarray:
    """The ranker's starting point: ``ranker_prior`` × the fixed blend's score (padding: a very
    low value). The trees learn corrections to it, so a few thousand users' weeks are enough."""
    s = FixedBlend(params).score(X)
    return params.ranker_prior * np.where(np.isfinite(s), s, -10.0)


def _shortlist_columns(cand, X0: np.ndarray, params: BlendParams, size: int,
                       s: np.ndarray | None = None) -> np.ndarray:
    """(B, ≤ size) columns of the best candidates by `prior` (``s`` if already computed), the
    reserved ones included (-1 pad)."""
    s = np.where(invalid(X0), -np.inf, prior(X0, params) if s is None else s)
    if s.shape[1] <= size:
        return np.where(np.isfinite(s), np.arange(s.shape[1])[None, :], -1)
    keep = np.zeros(s.shape, dtype=bool)
    reserved = int(round(params.source_share * size))
    for bit in (TEXT, AUDIO):
        mine = np.where((cand.flags & bit) != 0, s, -np.inf)
        cols = np.argsort(-mine, axis=1, kind="stable")[:, :reserved]
        np.put_along_axis(keep, cols, np.isfinite(np.take_along_axis(mine, cols, 1)), 1)
    order_key = np.where(keep, s + 1e6, s)                  # reserved first, then by prior
    cols = np.argpartition(-order_key, size - 1, axis=1)[:, :size]
    return np.where(np.isfinite(np.take_along_axis(s, cols, 1)), cols, -1)


def shortlist(ctx, users, rows, cand, X0: np.ndarray, params: BlendParams, size: int):
    """The ``size`` best candidates of each user by `prior` (the learned ranker reorders only
    these), with their full features: (candidates, X). The ``source_share`` best of text and
    of audio (by the same prior) are always kept: the fixed blend must not decide alone what the
    ranker may ever learn to bring up."""
    cols = _shortlist_columns(cand, X0, params, size)
    short = cand.take(cols)
    return short, features(ctx, users, rows, short, base=_take(X0, cols))


def _take(X: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """X (B, C, F) at columns `cols` (B, M) of each row; -1 gives a NaN (padding) row."""
    out = np.take_along_axis(X, np.maximum(cols, 0)[..., None], 1)
    out[cols < 0] = np.nan
    return out


def learned_scores(ctx, users, rows, cand, X0: np.ndarray, ranker: "LearnedRanker", size: int):
    """(candidates, scores): the shortlist reordered by the ranker, then every other candidate
    in `prior` order below it (the caps and shares of assembly may need them)."""
    merged, scores, _ = _learned(ctx, users, rows, cand, X0, ranker, size)
    return merged, scores


def _learned(ctx, users, rows, cand, X0: np.ndarray, ranker: "LearnedRanker", size: int):
    """`learned_scores` and the columns of `cand` (and `X0`) that the merged candidates are."""
    p0 = prior(X0, ranker.params)
    short = _shortlist_columns(cand, X0, ranker.params, size, s=p0)
    rest_mask = np.ones(cand.ids.shape, dtype=bool)
    r, c = np.nonzero(short >= 0)
    rest_mask[r, short[r, c]] = False
    p = np.where(invalid(X0) | ~rest_mask, -np.inf, p0)
    n_rest = int(np.isfinite(p).sum(axis=1).max(initial=0))
    rest = np.argsort(-p, axis=1, kind="stable")[:, :n_rest]
    rest_sc = np.take_along_axis(p, rest, 1)
    rest = np.where(np.isfinite(rest_sc), rest, -1)
    top = cand.take(short)
    # the prior again, on the shortlist: its z-scores are over the shortlisted candidates, as in training
    top_sc = ranker.score(features(ctx, users, rows, top, base=_take(X0, short)))
    floor = np.where(np.isfinite(top_sc), top_sc, np.inf).min(axis=1, keepdims=True)
    floor = np.where(np.isfinite(floor), floor, 0.0)
    # below the shortlist, in prior order (ranks, not the prior's scale)
    below = floor - 1.0 - np.arange(rest.shape[1], dtype=np.float32)[None, :]
    below = np.where(rest >= 0, below, -np.inf)
    cols = np.concatenate([short, rest], axis=1)
    return cand.take(cols), np.concatenate([top_sc, below.astype(np.float32)], axis=1), cols


class LearnedRanker(Scorer):
    """LightGBM lambdarank over `RANKED` features (NaN = missing, handled by the trees), boosting from
    `prior` (``[blend] ranker_prior`` × the fixed blend's score)."""

    name = "learned"

    def __init__(self, params: BlendParams | None = None):
        self.params = params or BlendParams()

    def rank(self, ctx, users, rows, cand, X0: np.ndarray, size: int):
        """The shortlist of the best ``max(rescore, size)`` by the prior, reordered by the trees
        on their full features; the other candidates below it in prior order."""
        return learned_scores(ctx, users, rows, cand, X0, self, max(self.params.rescore, size))

    threads = 1     # training: LightGBM's threads spin, on a busy machine one is several times faster than two
    predict_threads = 0   # prediction (large batches, few synchronisations): every core, like the top-k

    def fit(self, X: np.ndarray, y: np.ndarray) -> "LearnedRanker":
        """(B, C, F) features and (B, C) labels (1 = newly played, 0 = not, -1 = padding).
        Users with no positive candidate carry no ranking signal and are left out."""
        import lightgbm as lgb      # a heavy import, only when a ranker is trained or loaded

        valid = (y >= 0) & ~invalid(X)
        useful = ((y > 0) & valid).any(axis=1)
        if useful.sum() < 10:
            raise InputError(f"The ranker needs users whose next-week plays are among their candidates; "
                             f"found {int(useful.sum())} (at least 10 are needed): more weeks of events "
                             f"with timestamps, or more candidates ([blend] *_candidates)")
        Xu, yu, vu = X[useful], y[useful], valid[useful]
        groups = vu.sum(axis=1)
        p = self.params
        base = prior(Xu, p)[vu]
        self.booster_ = lgb.train(
            {"objective": "lambdarank", "metric": "ndcg", "ndcg_eval_at": [30], "num_leaves": p.leaves,
             "learning_rate": p.learning_rate, "min_data_in_leaf": 50, "lambda_l2": 10.0,
             "feature_fraction": 0.9,
             "bagging_fraction": 0.8, "bagging_freq": 1, "seed": p.seed, "deterministic": True,
             "num_threads": self.threads, "verbose": -1, "lambdarank_truncation_level": 40},
            lgb.Dataset(Xu[vu][:, COLUMNS], label=yu[vu].astype(np.float32), group=groups, init_score=base,
                        feature_name=list(RANKED), free_raw_data=True),
            num_boost_round=p.trees)
        self.n_queries_ = int(useful.sum())
        self.n_rows_ = int(vu.sum())
        self.positive_rate_ = float(yu[vu].mean())
        return self

    def importance(self) -> dict:
        gain = self.booster_.feature_importance("gain")
        total = gain.sum() or 1.0
        return {name: round(float(g / total), 4) for name, g in sorted(zip(RANKED, gain), key=lambda x: -x[1])}

    def score(self, X: np.ndarray) -> np.ndarray:
        B, C, F = X.shape
        pad = invalid(X)
        out = np.full((B, C), -np.inf, dtype=np.float32)
        if (~pad).any():
            out[~pad] = self.booster_.predict(X[~pad][:, COLUMNS], num_threads=self.predict_threads) \
                + prior(X, self.params)[~pad]
        return out

    def get_params(self) -> dict:
        p = self.params
        return {"trees": p.trees, "leaves": p.leaves, "learning_rate": p.learning_rate, "seed": p.seed,
                "prior": p.ranker_prior,
                "features": list(RANKED)}

    def save(self, folder) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.booster_.save_model(str(folder / "ranker.txt"))
        (folder / "features.json").write_text(json.dumps(list(RANKED)))
        p = self.params
        (folder / "prior.json").write_text(json.dumps({"ranker_prior": p.ranker_prior, "w_pop": p.w_pop,
                                                       "w_text": p.w_text, "w_audio": p.w_audio,
                                                       "w_item": p.w_item}))
        return folder

    @classmethod
    def load(cls, folder, params: BlendParams | None = None) -> "LearnedRanker":
        import lightgbm as lgb

        folder = Path(folder)
        names = json.loads((folder / "features.json").read_text())
        if names != list(RANKED):
            raise InputError(f"The ranker in {folder} was trained on other features ({len(names)}); "
                             f"retrain it: tastemaker train ranker")
        params = params or BlendParams()
        if (folder / "prior.json").exists():   # the prior it was trained with
            params = dataclasses.replace(params, **json.loads((folder / "prior.json").read_text()))
        model = cls(params)
        model.booster_ = lgb.Booster(model_file=str(folder / "ranker.txt"))
        return model


class BySegment(Scorer):
    """One scorer for most users, another for users with little history (`little_history`):
    the one that ranked that segment's held-out users better when the ranker was trained."""

    def __init__(self, main: Scorer, light: Scorer):
        if isinstance(light, LearnedRanker):
            raise ParameterError("The little-history scorer must score cheap features (fixed or collaborative)")
        self.main, self.light = main, light
        self.name = f"{main.name}, {light.name} for little history"

    def score(self, X: np.ndarray) -> np.ndarray:
        s = self.main.score(X)
        few = little_history(X)
        if few.any():
            s[few] = self.light.score(X[few])
        return s

    def rank(self, ctx, users, rows, cand, X0: np.ndarray, size: int):
        if isinstance(self.main, LearnedRanker):
            merged, s, cols = _learned(ctx, users, rows, cand, X0, self.main, max(self.main.params.rescore, size))
            X = _take(X0, cols)
        else:
            merged, s = self.main.rank(ctx, users, rows, cand, X0, size)
            X = X0
        few = little_history(X0)
        if few.any():
            s = s.copy()
            s[few] = self.light.score(X[few])
        return merged, s


def chosen_rankings(held_out: dict) -> tuple[str, str]:
    """What ``auto`` uses, from a ranker's held-out comparison: (for most users, for users with
    little history), each "learned", "fixed" or "collaborative". Most users get the learned
    ranker unless the fixed blend had the better recall; users with little history get the best
    by recall (then NDCG) on the segment's held-out users when there are at least
    `MIN_SEGMENT_USERS` of them and it beats the main choice there (the learned ranker is not a
    segment's choice when the main one is the fixed blend), and collaborative order when there
    are fewer: too few to show that a blend serves them better than the plain model. A ranker
    trained before segments were compared keeps the main choice for everyone."""
    main = "fixed" if held_out.get("fixed", {}).get("recall", 0) > held_out.get("learned", {}).get("recall", 1) \
        else "learned"
    if "little history" not in held_out:
        return main, main
    seg = held_out["little history"] or {}
    if seg.get("users", 0) < MIN_SEGMENT_USERS or main not in seg:
        return main, "collaborative"
    key = {name: (seg[name]["recall"], seg[name]["ndcg"]) for name in ("fixed", "collaborative")}
    best = max(key, key=lambda name: key[name])
    return main, best if key[best] > (seg[main]["recall"], seg[main]["ndcg"]) else main


def make_scorer(settings: Settings, ctx=None, *, mode: str | None = None) -> Scorer:
    """The scorer for ``mode`` (default ``[blend] mode``); ``auto`` takes the learned ranker when
    one is trained and it beat the fixed blend on its held-out users (else that fixed blend, with
    the weights chosen with it), and for users with little history the scorer that ranked them
    best there (`chosen_rankings`, `BySegment`), else the fixed blend when the text, audio or item-item model is there (in
    `ctx`, a `Context`), else collaborative order."""
    mode = mode or settings.blend.mode
    if mode in ("auto", "learned"):
        try:
            ranker, doc = registry.load(settings.models_dir, RANKER,
                                        lambda folder: LearnedRanker.load(folder, settings.blend))
            folder = registry.resolve(settings.models_dir, RANKER)
            ranker.version = folder.name
            held = doc.get("held_out", {})
            if mode == "learned":
                return ranker
            fixed = FixedBlend(ranker.params)           # with the weights chosen alongside the ranker
            fixed.version = f"fixed weights of {folder.name}"
            name, light = chosen_rankings(held)
            main = fixed if name == "fixed" else ranker
            if light == name:
                return main
            chosen = BySegment(main, fixed if light == "fixed" else CollaborativeOrder())
            chosen.version = getattr(main, "version", folder.name)
            return chosen
        except NotFoundError:
            if mode == "learned":
                raise
        has_more = ctx is None or any(getattr(ctx, m) is not None for m in ("text", "audio", "item"))
        return FixedBlend(settings.blend) if has_more else CollaborativeOrder()
    if mode == "fixed":
        return FixedBlend(settings.blend)
    if mode == "collaborative":
        return CollaborativeOrder()
    raise ParameterError(f"Unknown blend mode {mode!r}; expected auto, learned, fixed or collaborative")
