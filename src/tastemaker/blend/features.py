"""Features of each (user, candidate) pair for the ranker (pure NumPy).

    >>> X = features(ctx, users, rows, cand)  # (B, C, len(FEATURES)) float32, NaN = unknown

Every model's score, the track's and artist's popularity, the user's familiarity with the artist,
the track's age, whether it is cold, how far its sound (analyser tempo and loudness, and the
audio model's predicted vector) is from the user's usual sound, and the user's history size.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..kernels import lookup_values, row_dots, zscore
from .candidates import AUDIO, CF, ITEM, POPULAR, TEXT, Candidates, artist_confidence, collaborative_ok
from .context import Context

FEATURES = (
    "cf_score",          # user · item vector (NaN: no vector, or too little history)
    "audio_score",       # user · predicted vector × scale (NaN: no audio prediction)
    "space_score",       # cf_score, or audio_score for tracks without an item vector
    "text_score",        # nearness of the track's artist to the user's artists by text
    "track_listeners",   # log(1 + listeners)
    "artist_listeners",  # log(1 + listeners of the artist's tracks)
    "recent_listeners",  # log(1 + listeners in the four weeks before the week)
    "familiarity",       # share of the user's liked confidence on this artist
    "age_days",          # days since release (NaN unknown)
    "cold",              # fewer plays than the audio model's min_plays
    "tempo_distance",    # |log2(tempo / user's mean tempo)|
    "loudness_distance", # |loudness − user's mean loudness| (dB)
    "sound_cosine",      # predicted vector · user's mean predicted vector (cosines)
    "history",           # log(1 + tracks the user liked)
    "space_z",           # space_score standardised over the user's candidates
    "space_rank",        # its rank among the user's candidates (0 = best)
    "text_z",            # text_score standardised over the user's candidates
    "audio_z",           # audio_score standardised over the user's candidates
    "from_cf", "from_text", "from_audio", "from_popular",
    "item_score",        # item-item score: Σ over the user's liked tracks of w(track, candidate) (NaN: no model, or a track it has not seen)
    "item_z",            # item_score standardised over the user's candidates
    "from_item",
    "user_popularity",   # the user's usual popularity: mean log(1 + listeners) of the tracks they like
    "popularity_gap",    # track_listeners − user_popularity (how much more mainstream than the user's taste)
    "item_rank",         # the item-item score's rank among the user's candidates (0 = best)
)
INDEX = {name: i for i, name in enumerate(FEATURES)}
#: what the learned ranker sees: scores only relative to the user's other candidates (a dot
#: product's scale changes between the models it was trained with and the ones it is used with)
RANKED = tuple(f for f in FEATURES if f not in ("cf_score", "audio_score", "space_score", "text_score",
                                                "item_score"))


def _user_means(rows: sp.csr_matrix, values: np.ndarray) -> np.ndarray:
    """Confidence-weighted mean of `values` (NaN ignored) over each user's liked tracks."""
    pos = rows.multiply(rows > 0).tocsr()
    ok = np.isfinite(values)
    v = np.where(ok, values, 0).astype(np.float64)
    num = pos @ v
    den = pos @ ok.astype(np.float64)
    return np.where(den > 0, num / np.where(den == 0, 1, den), np.nan)


CHEAP = ("cf_score", "audio_score", "space_score", "text_score", "item_score", "track_listeners", "history", "cold")


def features(ctx: Context, users: np.ndarray, rows: sp.csr_matrix, cand: Candidates, *, full: bool = True,
             base: np.ndarray | None = None) -> np.ndarray:
    """(B, C, len(FEATURES)) for the users' candidates; ``rows`` (B, n_items) are their histories.
    Without ``full``, only what the fixed blend and collaborative order read (`CHEAP`: the
    scores, listeners, history); the rest stays NaN. ``base``: an array whose `CHEAP` columns
    are already computed for these candidates (they are not computed again)."""
    users = np.asarray(users, dtype=np.int64)
    ids = cand.ids
    B, C = ids.shape
    # feature-major in memory, (B, C, F) to the reader: each column written below is one
    # contiguous block instead of a stride over every candidate's row
    X = np.full((len(FEATURES), B, C), np.nan, dtype=np.float32).transpose(1, 2, 0) if base is None else base
    if C == 0:
        return X
    valid = ids >= 0
    t = np.maximum(ids, 0)
    rows = sp.csr_matrix(rows)
    if base is None:
        _cheap(ctx, users, cand, rows, X)
    if not full:
        X[~valid] = np.nan
        return X
    if ctx.audio is not None:
        # the user's usual sound: the mean of the unit predicted vectors of what they like
        unit = ctx.unit_audio
        pos = rows.multiply(rows > 0).tocsr()
        pos = sp.csr_matrix(pos.multiply(ctx.has_audio[None, :]))
        mean = np.asarray(pos @ unit)
        norm = np.linalg.norm(mean, axis=1, keepdims=True)
        mean = mean / np.where(norm == 0, 1, norm)
        cos = row_dots(mean.astype(np.float32), unit[t])
        X[..., INDEX["sound_cosine"]] = np.where(ctx.has_audio[t] & (norm > 0), cos, np.nan)
    X[..., INDEX["recent_listeners"]] = np.log1p(ctx.recent[t])
    art = ctx.artist_of[t]
    al = ctx.artist_listeners
    X[..., INDEX["artist_listeners"]] = np.where(art >= 0, np.log1p(al[np.maximum(art, 0)]), np.nan)
    X[..., INDEX["familiarity"]] = _familiarity(ctx, rows, art)
    X[..., INDEX["age_days"]] = ctx.age_days[t]
    usual = _user_means(rows, np.log1p(ctx.listeners))[:, None]
    X[..., INDEX["user_popularity"]] = usual
    X[..., INDEX["popularity_gap"]] = X[..., INDEX["track_listeners"]] - usual
    log_tempo = np.log2(np.where(ctx.tempo > 0, ctx.tempo, np.nan))
    X[..., INDEX["tempo_distance"]] = np.abs(log_tempo[t] - _user_means(rows, log_tempo)[:, None])
    X[..., INDEX["loudness_distance"]] = np.abs(ctx.loudness[t] - _user_means(rows, ctx.loudness)[:, None])
    _within_user(X, valid)
    for name, bit in (("from_cf", CF), ("from_text", TEXT), ("from_audio", AUDIO), ("from_popular", POPULAR),
                      ("from_item", ITEM)):
        X[..., INDEX[name]] = (cand.flags & bit) != 0
    X[~valid] = np.nan
    return X


def _cheap(ctx: Context, users: np.ndarray, cand: Candidates, rows: sp.csr_matrix, X: np.ndarray) -> None:
    """The `CHEAP` columns of X, in place."""
    t = np.maximum(cand.ids, 0)
    liked = np.asarray((rows > 0).sum(axis=1)).ravel()
    U = ctx.U[users]
    cf_user = collaborative_ok(ctx, users, rows)
    cf = row_dots(U, ctx.V[t])
    cf_ok = cf_user[:, None] & ctx.has_vector[t]
    X[..., INDEX["cf_score"]] = np.where(cf_ok, cf, np.nan)
    space = np.where(cf_ok, cf, np.nan)
    if ctx.audio is not None:
        # only the (few) candidates with a predicted vector: no gather of the others' zero rows
        au_ok = cf_user[:, None] & ctx.has_audio[t]
        r, c = np.nonzero(au_ok)
        au = np.full(au_ok.shape, np.nan, dtype=np.float32)
        au[r, c] = np.einsum("nd,nd->n", U[r], ctx.audio[t[r, c]]) * ctx.audio_scale
        X[..., INDEX["audio_score"]] = au
        space = np.where(au_ok & ~cf_ok, au, space)
    X[..., INDEX["space_score"]] = space
    X[..., INDEX["text_score"]] = cand.text_score if ctx.text is not None else np.nan
    # the item-item model knows only tracks played before (those with a collaborative vector):
    # for the others its score is unknown, not low (a new release must not look disliked)
    X[..., INDEX["item_score"]] = (np.where(ctx.has_vector[t], cand.item_score, np.nan)
                                   if cand.item_score is not None else np.nan)
    X[..., INDEX["track_listeners"]] = np.log1p(ctx.listeners[t])
    X[..., INDEX["history"]] = np.log1p(liked)[:, None]
    X[..., INDEX["cold"]] = ctx.cold[t]


def _within_user(X: np.ndarray, valid: np.ndarray) -> None:
    """Scores relative to the user's other candidates: trees compare rows across users, and a
    dot product's scale differs from user to user."""
    space = np.where(valid, X[..., INDEX["space_score"]], np.nan)
    X[..., INDEX["space_z"]] = np.where(np.isfinite(space), zscore(space), np.nan)
    X[..., INDEX["space_rank"]] = _rank(space)
    X[..., INDEX["item_rank"]] = _rank(np.where(valid, X[..., INDEX["item_score"]], np.nan))
    for raw, z in (("text_score", "text_z"), ("audio_score", "audio_z"), ("item_score", "item_z")):
        v = np.where(valid, X[..., INDEX[raw]], np.nan)
        X[..., INDEX[z]] = np.where(np.isfinite(v), zscore(v), np.nan)


def _rank(v: np.ndarray) -> np.ndarray:
    """(B, C) each finite value's rank within its row (0 = the highest); NaN stays NaN."""
    ok = np.isfinite(v)
    order = np.argsort(-np.where(ok, v, -np.inf), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(order.shape[1])[None, :].repeat(len(order), 0), 1)
    return np.where(ok, rank, np.nan)


def _familiarity(ctx: Context, rows: sp.csr_matrix, art: np.ndarray) -> np.ndarray:
    """(B, C) the user's share of liked confidence that goes to each candidate's artist."""
    by_artist = artist_confidence(ctx, rows)
    total = np.asarray(by_artist.sum(axis=1)).ravel()
    share = lookup_values(by_artist, art) / np.where(total == 0, 1, total)[:, None]
    return np.where(art >= 0, share, 0).astype(np.float32)
