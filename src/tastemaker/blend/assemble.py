"""From ranked candidates to the week's lists: caps, fresh share, sources, reasons, flow (NumPy).

    >>> picked = select(ctx, cand, scores, weekly=settings.weekly, blend=settings.blend)
    >>> source, because, text_reason = label(ctx, users, rows, cand, picked)

`select` keeps, in score order, at most ``max_per_artist`` tracks per artist and ``audio_share``
tracks placed by the audio model, then makes room for up to ``fresh_share`` × size fresh tracks
(fewer than ``fresh_plays`` plays) when good ones exist — among the best 2 × size survivors —
in place of the weakest others. `fill_short` completes short lists with popular tracks. `label`
names each track's source (collaborative, text, audio, fallback) and its reason: `explain` finds,
for every recommended track, the played track that contributes most — among the user's
most-loved tracks, the one whose vector is closest (cosine) to the recommended track's; ties go
to the more-played track.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..config import BlendParams, WeeklyParams
from ..kernels import cap_per_artist, lookup_values, sparse_topk
from .candidates import AUDIO, CF, ITEM, TEXT, Candidates, artist_confidence
from .context import Context

SOURCES = ("collaborative", "fallback", "audio", "text")
COLLABORATIVE, FALLBACK, AUDIO_SOURCE, TEXT_SOURCE = range(4)
REASON_PLAYED = 50  # how many of a user's most-played tracks may be named as reasons


@dataclass
class Picked:
    ids: np.ndarray       # (B, size) track ids, -1 pad (short lists)
    scores: np.ndarray    # (B, size)
    cols: np.ndarray      # (B, size) column of each pick in the candidates, -1 pad


def select(ctx: Context, cand: Candidates, scores: np.ndarray, *, weekly: WeeklyParams,
           blend: BlendParams) -> Picked:
    B, C = cand.ids.shape
    size = weekly.size
    if C == 0:
        return Picked(np.full((B, size), -1, np.int64), np.full((B, size), -np.inf, np.float32),
                      np.full((B, size), -1, np.int64))
    order = np.argsort(-scores, axis=1, kind="stable")
    ids = np.take_along_axis(cand.ids, order, 1)
    sc = np.take_along_axis(scores, order, 1)
    ids = np.where(np.isfinite(sc), ids, -1)
    # the audio model may place at most audio_share tracks per list
    by_audio = by_audio_model(ctx, ids, np.take_along_axis(cand.flags, order, 1))
    ids = np.where(by_audio & (np.cumsum(by_audio, axis=1) > weekly.audio_share), -1, ids)
    capped, capped_sc, cols = cap_per_artist(ids, sc, ctx.artist_of, C, weekly.max_per_artist)
    cols = np.where(cols >= 0, np.take_along_axis(order, np.maximum(cols, 0), 1), -1)
    # room for fresh tracks: promote the best fresh survivors within the top 2 × size
    want = int(round(blend.fresh_share * size))
    pos = np.broadcast_to(np.arange(C), (B, C))
    key = pos.astype(np.float64)
    if want:
        fresh = (capped >= 0) & (ctx.plays[np.maximum(capped, 0)] < blend.fresh_plays)
        promote = fresh & (np.cumsum(fresh, axis=1) <= want) & (pos < 2 * size)
        key = np.where(promote, key - 1e9, key)
    key = np.where(capped >= 0, key, np.inf)
    chosen = np.sort(np.argsort(key, axis=1, kind="stable")[:, :size], axis=1)   # back in score order
    chosen_ok = np.take_along_axis(capped, chosen, 1) >= 0
    out_ids = np.where(chosen_ok, np.take_along_axis(capped, chosen, 1), -1)
    out_sc = np.where(chosen_ok, np.take_along_axis(capped_sc, chosen, 1), -np.inf).astype(np.float32)
    out_cols = np.where(chosen_ok, np.take_along_axis(cols, chosen, 1), -1)
    if out_ids.shape[1] < size:           # fewer candidates than places: the list is padded
        pad = ((0, 0), (0, size - out_ids.shape[1]))
        out_ids, out_cols = np.pad(out_ids, pad, constant_values=-1), np.pad(out_cols, pad, constant_values=-1)
        out_sc = np.pad(out_sc, pad, constant_values=-np.inf)
    # pads go last
    o = np.argsort(out_ids < 0, axis=1, kind="stable")
    return Picked(np.take_along_axis(out_ids, o, 1), np.take_along_axis(out_sc, o, 1),
                  np.take_along_axis(out_cols, o, 1))


def fill_short(ctx: Context, picked: Picked, exclude_rows: sp.csr_matrix, weekly: WeeklyParams,
               banned: np.ndarray | None = None) -> Picked:
    """Lists the candidates could not fill are completed with popular tracks the user has not
    heard (source fallback), the artist cap still holding; what is listed keeps its place.
    ``banned`` (n_items,) bool: tracks never to add."""
    short = np.flatnonzero((picked.ids < 0).any(axis=1))
    if len(short) == 0:
        return picked
    pop = np.argsort(-(ctx.recent + 1e-6 * ctx.listeners), kind="stable")
    pop = pop[((ctx.recent[pop] > 0) | (ctx.listeners[pop] > 0)) & ~np.isin(pop, ctx.unavailable)]
    if banned is not None:
        pop = pop[~banned[pop]]
    pop = pop[: 8 * weekly.size + 200]
    existing = picked.ids[short]
    heard = sp.csr_matrix(exclude_rows)[short][:, pop].toarray() != 0
    already = (pop[None, :, None] == existing[:, None, :]).any(axis=2)
    cand = np.where(heard | already, -1, pop[None, :])
    merged = np.concatenate([existing, cand], axis=1)
    merged_sc = np.concatenate([picked.scores[short], np.full(cand.shape, -np.inf, np.float32)], axis=1)
    merged_cols = np.concatenate([picked.cols[short], np.full(cand.shape, -1)], axis=1)
    # existing picks come first and are already capped, so they all survive in their order
    ids, sc, cols = cap_per_artist(merged, merged_sc, ctx.artist_of, weekly.size, weekly.max_per_artist)
    out = Picked(picked.ids.copy(), picked.scores.copy(), picked.cols.copy())
    out.ids[short], out.scores[short] = ids, sc
    out.cols[short] = np.where(cols >= 0, np.take_along_axis(merged_cols, np.maximum(cols, 0), 1), -1)
    return out


def by_audio_model(ctx: Context, ids: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """(B, C) True where the track is placed by the audio model: an audio candidate that is cold
    (too few plays for a trustworthy collaborative vector, or none)."""
    safe = np.maximum(ids, 0)
    return (ids >= 0) & ((flags & AUDIO) != 0) & (ctx.cold[safe] | ~ctx.has_vector[safe])


def top_played(rows: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(B, k) each user's k most-loved tracks (-1 pad) and their confidence (0 pad)."""
    ids, vals = sparse_topk(rows, k)
    return ids, np.where(ids >= 0, vals, 0).astype(np.float32)


def explain(recommended: np.ndarray, played: np.ndarray, weights: np.ndarray,
            unit_vectors: np.ndarray, played_vectors: np.ndarray | None = None) -> np.ndarray:
    """(B, K) recommended ids, (B, P) played ids with weights, item vectors of length 1 →
    (B, K) played id behind each recommendation (-1 where there is none).

    ``played_vectors`` (default: the same) are the played tracks' vectors when the recommended
    ones come from elsewhere (the audio model's predictions, in the same space)."""
    R = unit_vectors[np.maximum(recommended, 0)]
    P = (unit_vectors if played_vectors is None else played_vectors)[np.maximum(played, 0)]
    sims = np.matmul(P, R.transpose(0, 2, 1))                  # (B, P, K)
    has = played >= 0
    tiebreak = 1e-6 * np.log1p(np.maximum(weights, 0))
    sims = np.where(has[..., None], sims + tiebreak[..., None], -np.inf)
    best = np.argmax(sims, axis=1)                             # (B, K)
    out = np.take_along_axis(played, best, axis=1)
    out[(recommended < 0) | ~has.any(axis=1)[:, None]] = -1
    return out


def label(ctx: Context, users: np.ndarray, rows: sp.csr_matrix, cand: Candidates, picked: Picked):
    """(source (B, size) int8, reason track (B, size) -1 none, text reasons (B, size) object);
    ``rows`` (B, n_items) are the users' histories."""
    B, K = picked.ids.shape
    ok = picked.ids >= 0
    flags = np.zeros((B, K), dtype=np.uint8) if cand.ids.shape[1] == 0 else np.where(
        ok & (picked.cols >= 0), np.take_along_axis(cand.flags, np.maximum(picked.cols, 0), 1), 0)
    safe = np.maximum(picked.ids, 0)
    source = np.full((B, K), FALLBACK, dtype=np.int8)
    source[((flags & TEXT) != 0)] = TEXT_SOURCE
    source[((flags & (CF | ITEM)) != 0)] = COLLABORATIVE       # item-item is collaborative filtering too
    source[by_audio_model(ctx, picked.ids, flags)] = AUDIO_SOURCE
    rows = sp.csr_matrix(rows)
    played, weights = top_played(rows, REASON_PLAYED)
    unit_items = ctx.unit_V
    because = explain(np.where(ok & ctx.has_vector[safe], picked.ids, -1), played, weights, unit_items)
    because[source != COLLABORATIVE] = -1
    if ctx.audio is not None:
        audio_rows = source == AUDIO_SOURCE
        if audio_rows.any():
            sounds = explain(np.where(audio_rows, picked.ids, -1), played, weights,
                             ctx.unit_audio, played_vectors=unit_items)
            because = np.where(audio_rows, sounds, because)
    text = np.full((B, K), "", dtype=object)
    is_text = source == TEXT_SOURCE
    if is_text.any() and ctx.text is not None:
        text[is_text] = _text_reasons(ctx, cand.profile, picked.ids, is_text)
    _known_artist_reasons(ctx, rows, picked.ids, source == AUDIO_SOURCE, text)
    return source, because, text


def _known_artist_reasons(ctx: Context, rows: sp.csr_matrix, ids: np.ndarray, mask: np.ndarray, text) -> None:
    """A cold track by an artist the user already plays: "new from A, whom you play" (its place
    comes as much from the artist as from its sound)."""
    if not mask.any() or ctx.artist_names is None:
        return
    art = np.where(mask, ctx.artist_of[np.maximum(ids, 0)], -1)
    known = (art >= 0) & (lookup_values(artist_confidence(ctx, rows), art) > 0)
    for b, k in zip(*np.nonzero(known)):
        name = ctx.artist_names[art[b, k]] if art[b, k] < len(ctx.artist_names) else ""
        if name:
            text[b, k] = f"new from {name}, whom you play"


def _text_reasons(ctx: Context, profile, ids: np.ndarray, mask: np.ndarray) -> list[str]:
    """'people who write about X describe it as …, like Y': Y is the user's artist whose text
    neighbourhood brought the track."""
    prof_ids, prof_w = profile
    r, c = np.nonzero(mask)
    art = ctx.artist_of[ids[r, c]]
    P = prof_ids.shape[1]
    src = prof_ids[r]                                                   # (n, P)
    sims = np.asarray(ctx.text[np.maximum(src, 0).ravel(), np.repeat(np.maximum(art, 0), P)]).reshape(-1, P)
    contrib = np.where(src >= 0, sims * prof_w[r], -np.inf)
    best = src[np.arange(len(r)), np.argmax(contrib, axis=1)]
    out = []
    for a, y in zip(art, best):
        name = ctx.artist_names[a] if a >= 0 else ""
        like = ctx.artist_names[y] if y >= 0 else ""
        words = ctx.artist_words.get(int(a), "")
        if words and like and like != name:
            out.append(f"people who write about {name} describe it as {words}, like {like}")
        elif like and like != name:
            out.append(f"written about like {like}")
        else:
            out.append(f"people who write about {name} describe it as {words}" if words
                       else "what people write about it matches your taste")
    return out
