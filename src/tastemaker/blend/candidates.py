"""Candidates for a batch of users from each model, labelled with their source (pure NumPy/SciPy).

    >>> cand = candidates(ctx, users, rows, exclude_rows, params, sources=("cf", "text", "audio", "popular"))
    >>> cand.ids, cand.flags          # (B, C) track ids (-1 pad), source bits per candidate

Sources:

* **cf** — the top ``cf_candidates`` tracks by user vector · item vector (users with at least
  ``min_history`` liked tracks and a vector);
* **text** — tracks of the ``text_artists`` artists nearest, by what people write, to the
  artists the user loves most (``profile_artists``, weighted by confidence): text score of
  artist b = Σₐ w(u, a) · sim(a, b); the best ``text_candidates`` unheard tracks of those artists
  (their own tracks too, ordered by listeners);
* **audio** — the ``audio_candidates`` cold tracks (fewer than ``cold_plays`` plays) whose
  predicted vector is nearest the user's vector, and the ``new_candidates`` nearest among the
  new releases (fewer than ``new_days`` days old);
* **popular** — the most-listened tracks of the last four weeks the user has not heard;
* **item** — the top ``item_candidates`` tracks by the item-item model (`Context.item`): item
  score of track j = Σ over the user's liked tracks i of w(i, j).

``rows`` are the users' histories (what each has heard, with confidence). Heard (any event),
recently recommended (``exclude_rows``), unavailable and ``banned`` tracks never appear. A track
found by several sources appears once, with all their bits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..config import BlendParams
from ..kernels import dot_topk, group_sums, lookup, lookup_values, sparse_topk, top_groups, topk
from .context import Context

CF, TEXT, AUDIO, POPULAR, ITEM = 1, 2, 4, 8, 16
SOURCE_BITS = {"cf": CF, "text": TEXT, "audio": AUDIO, "popular": POPULAR, "item": ITEM}
ALL_SOURCES = tuple(SOURCE_BITS)


@dataclass
class Candidates:
    ids: np.ndarray          # (B, C) track_idx, -1 = none
    flags: np.ndarray        # (B, C) uint8 source bits
    text_score: np.ndarray   # (B, C) text score of the candidate's artist (0 where none)
    profile: tuple           # (B, P) the user's profile artists and their weights (for reasons)
    item_score: np.ndarray | None = None   # (B, C) item-item score (0 where none; None: no item model)

    def take(self, cols: np.ndarray) -> "Candidates":
        """The candidates at columns ``cols`` (B, M) of each row (-1: none)."""
        c = np.maximum(cols, 0)
        ids = np.where(cols >= 0, np.take_along_axis(self.ids, c, 1), -1)
        at = lambda a: None if a is None else np.where(cols >= 0, np.take_along_axis(a, c, 1), 0)  # noqa: E731
        return Candidates(ids, at(self.flags).astype(np.uint8), at(self.text_score), self.profile,
                          at(self.item_score))


def artist_confidence(ctx: Context, rows: sp.csr_matrix) -> sp.csr_matrix:
    """(B, n_artists) each user's positive confidence summed by artist."""
    return group_sums(rows, ctx.artist_of, ctx.n_artists)


def profile_artists(ctx: Context, rows: sp.csr_matrix, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(B, n) each user's most-loved artists (-1 pad) and weights summing to 1 over the row."""
    return top_groups(artist_confidence(ctx, rows), n)


def text_artist_scores(ctx: Context, prof_ids: np.ndarray, prof_w: np.ndarray) -> sp.csr_matrix:
    """(B, n_artists) Σₐ w(u, a) · sim(a, b) over the user's profile artists (sparse)."""
    B, P = prof_ids.shape
    r, c = np.nonzero(prof_ids >= 0)
    T = ctx.text
    W = sp.csr_matrix((prof_w[r, c], (r, prof_ids[r, c])), shape=(B, T.shape[0]))
    return sp.csr_matrix(W @ T)


def _text_source(ctx: Context, exclude_rows, params: BlendParams, S: sp.csr_matrix | None):
    B = exclude_rows.shape[0]
    k = params.text_candidates
    empty = np.full((B, 0), -1, dtype=np.int64)
    if S is None or k == 0 or params.text_artists == 0 or not (S.data > 0).any():
        return empty, np.zeros((B, 0), np.float32)
    a, a_sc = sparse_topk(S, params.text_artists)
    ids = ctx.artist_tracks[np.maximum(a, 0)]                             # (B, M, T)
    ids[a < 0] = -1
    sc = np.broadcast_to(a_sc[..., None], ids.shape).astype(np.float32)
    # within an artist, more listened tracks first; a hair of popularity breaks ties
    sc = sc + 1e-4 * np.log1p(ctx.listeners[np.maximum(ids, 0)])
    ids, sc = ids.reshape(B, -1), sc.reshape(B, -1)
    heard = lookup(exclude_rows, ids)
    sc = np.where((ids >= 0) & ~heard, sc, -np.inf).astype(np.float32)
    cols, top_sc = topk(sc, k)
    top = np.where(cols >= 0, np.take_along_axis(ids, np.maximum(cols, 0), axis=1), -1)
    return top, top_sc


SKIP_MAX = 256      # rows that must skip more pool tracks than this take the dense top-k


def pool_topk(query: np.ndarray, vectors: np.ndarray, where: np.ndarray, heard: sp.csr_matrix,
              taken: np.ndarray | None, k: int, *, skip_max: int = SKIP_MAX) -> np.ndarray:
    """(B, k) positions in the pool of the k best pool tracks by query · vector, skipping the
    user's heard tracks and those in `taken` (B, T positions, -1 none); -1 pads.

    The threaded top-k (`dot_topk`, no (B × pool) score matrix kept) finds the k + m best, m
    being the most pool tracks any row must skip; rows that must skip more than ``skip_max``
    fall back to a dense NumPy top-k."""
    B = len(query)
    coo = heard.tocoo()
    at = where[coo.col]
    mine = at >= 0
    skip_r, skip_c = coo.row[mine], at[mine]
    if taken is not None:
        r, c = np.nonzero(taken >= 0)
        skip_r, skip_c = np.concatenate([skip_r, r]), np.concatenate([skip_c, taken[r, c]])
    skip = sp.csr_matrix((np.ones(len(skip_r), np.float32), (skip_r, skip_c)), shape=(B, len(vectors)))
    n_skip = np.diff(skip.indptr)
    out = np.full((B, k), -1, dtype=np.int64)
    easy = n_skip <= skip_max
    if easy.any():
        extra = int(n_skip[easy].max(initial=0))
        kk = min(k + extra, len(vectors))
        got, sc = dot_topk(vectors, query[easy], kk)
        bad = lookup(skip[easy], got) | ~np.isfinite(sc) | (got < 0)
        order = np.argsort(bad, axis=1, kind="stable")[:, :k]           # the first k kept, in score order
        kept = np.where(np.take_along_axis(bad, order, 1), -1, np.take_along_axis(got, order, 1))
        out[easy, :kept.shape[1]] = kept
    hard = np.flatnonzero(~easy)
    if len(hard):
        sc = np.where(skip[hard].toarray() != 0, -np.inf, query[hard] @ vectors.T).astype(np.float32)
        cols, _ = topk(sc, k)
        out[hard] = cols
    return out


def _audio_source(ctx: Context, users, exclude_rows, params: BlendParams, cf_ok):
    """The ``audio_candidates`` cold tracks nearest the user's vector, then the
    ``new_candidates`` nearest among the new releases (fewer than ``new_days`` days old) not
    already chosen: a new release competes with every cold track of the catalogue otherwise."""
    B = len(users)
    out = [np.full((B, 0), -1, np.int64)]
    if ctx.audio is None or not cf_ok.any():
        return out[0]
    ok = np.flatnonzero(cf_ok)
    query = ctx.U[users[ok]]
    heard = sp.csr_matrix(exclude_rows)[ok]
    for k, new_days in ((params.audio_candidates, None), (params.new_candidates, params.new_days)):
        pool = ctx.audio_pools[new_days]
        k = min(k, len(pool.tracks))
        if k == 0:
            continue
        taken = None
        if new_days is not None and out[-1].shape[1]:
            prev = out[-1][ok]
            taken = np.where(prev >= 0, pool.where[np.maximum(prev, 0)], -1)
        cols = pool_topk(query, pool.vectors, pool.where, heard, taken, k)
        ids = np.full((B, k), -1, dtype=np.int64)
        ids[ok] = np.where(cols >= 0, pool.tracks[np.maximum(cols, 0)], -1)
        out.append(ids)
    return np.concatenate(out, axis=1)


def _popular_source(ctx: Context, exclude_rows, params: BlendParams):
    B = exclude_rows.shape[0]
    k = params.popular_candidates
    if k == 0:
        return np.full((B, 0), -1, np.int64)
    order = np.argsort(-ctx.recent, kind="stable")
    order = order[(ctx.recent[order] > 0) & ~np.isin(order, ctx.unavailable)][: 4 * k + 200]
    heard = exclude_rows[:, order].toarray() != 0
    sc = np.where(heard, -np.inf, -np.arange(len(order), dtype=np.float32)[None, :])
    cols, _ = topk(sc.astype(np.float32), k)
    return np.where(cols >= 0, order[np.maximum(cols, 0)], -1)


def item_scores(ctx: Context, rows: sp.csr_matrix) -> sp.csr_matrix:
    """(B, n_items) Σ over each user's liked tracks i of the item-item weight w(i, j) (sparse)."""
    liked = (sp.csr_matrix(rows) > 0).astype(np.float32)
    return sp.csr_matrix(liked @ ctx.item)


def _item_source(ctx: Context, exclude_rows: sp.csr_matrix, params: BlendParams, S: sp.csr_matrix | None):
    B = exclude_rows.shape[0]
    if S is None or params.item_candidates == 0:
        return np.full((B, 0), -1, np.int64)
    S = S - S.multiply(exclude_rows != 0)           # never a heard track
    if len(ctx.unavailable):
        gone = np.zeros(S.shape[1], dtype=np.float32)
        gone[ctx.unavailable] = 1
        S = S - S.multiply(gone[None, :])
    S = sp.csr_matrix(S)
    S.eliminate_zeros()
    ids, _ = sparse_topk(S, params.item_candidates)
    return ids


def collaborative_ok(ctx: Context, users: np.ndarray, rows: sp.csr_matrix) -> np.ndarray:
    """(B,) the users with a collaborative vector and at least ``min_history`` liked tracks."""
    liked = np.asarray((rows > 0).sum(axis=1)).ravel()
    return (liked >= ctx.min_history) & (np.abs(ctx.U[users]).sum(axis=1) > 0)


def candidates(ctx: Context, users: np.ndarray, rows: sp.csr_matrix, exclude_rows: sp.csr_matrix,
               params: BlendParams, sources=ALL_SOURCES, banned: np.ndarray | None = None) -> Candidates:
    """The candidates of a batch of users. ``rows`` (B, n_items): their histories;
    ``exclude_rows`` (B, n_items): never recommend; ``banned`` (n_items,) bool: never recommend
    to anyone."""
    users = np.asarray(users, dtype=np.int64)
    B = len(users)
    exclude_rows = sp.csr_matrix(exclude_rows)
    rows = sp.csr_matrix(rows)
    cf_ok = collaborative_ok(ctx, users, rows)
    parts, bits = [], []
    if "cf" in sources and params.cf_candidates:
        ids = np.full((B, params.cf_candidates), -1, dtype=np.int64)
        if cf_ok.any():
            m = ctx.n_model_items
            gone = ctx.unavailable[ctx.unavailable < m]
            sel = np.flatnonzero(cf_ok)
            got, sc = dot_topk(ctx.V[:m], ctx.U[users[sel]], params.cf_candidates,
                               exclude=exclude_rows[sel][:, :m], banned=gone)
            # a track without a vector scores 0 for everyone: not a collaborative candidate
            ids[sel] = np.where(np.isfinite(sc) & ctx.has_vector[np.maximum(got, 0)], got, -1)
        parts.append(ids)
        bits.append(CF)
    prof = profile_artists(ctx, rows, params.profile_artists)
    S = text_artist_scores(ctx, *prof) if ctx.text is not None else None
    if "text" in sources:
        ids, _ = _text_source(ctx, exclude_rows, params, S)
        parts.append(ids)
        bits.append(TEXT)
    if "audio" in sources:
        parts.append(_audio_source(ctx, users, exclude_rows, params, cf_ok))
        bits.append(AUDIO)
    if "popular" in sources:
        parts.append(_popular_source(ctx, exclude_rows, params))
        bits.append(POPULAR)
    I = item_scores(ctx, rows) if ctx.item is not None else None
    if "item" in sources:
        parts.append(_item_source(ctx, exclude_rows, params, I))
        bits.append(ITEM)
    if banned is not None:
        parts = [np.where((p >= 0) & banned[np.maximum(p, 0)], -1, p) for p in parts]
    ids, flags = union(parts, bits, ctx.n_items)
    text_score = np.zeros(ids.shape, dtype=np.float32)
    if S is not None and ids.shape[1]:
        art = ctx.artist_of[np.maximum(ids, 0)]
        ok = (ids >= 0) & (art >= 0)
        text_score[ok] = lookup_values(S, np.where(ok, art, -1))[ok]
    item_score = None if I is None else lookup_values(I, ids)
    return Candidates(ids, flags, text_score, prof, item_score)


def union(parts, bits, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate per-source (B, k) id arrays into unique ids per row with OR-ed source bits,
    in order of first appearance (cf first, then text, audio, popular, item)."""
    if not parts:
        raise ValueError("no candidate source")
    ids = np.concatenate(parts, axis=1)
    B, C = ids.shape
    flags = np.concatenate([np.full(p.shape, b, np.uint8) for p, b in zip(parts, bits)], axis=1)
    valid = ids >= 0
    # first appearance of each (row, id): sort by (row, id, column) and keep group heads
    key = np.where(valid, ids, n_items)
    order = np.lexsort((np.broadcast_to(np.arange(C), (B, C)), key), axis=1)
    sk = np.take_along_axis(key, order, 1)
    head = np.ones((B, C), dtype=bool)
    head[:, 1:] = sk[:, 1:] != sk[:, :-1]
    # OR the bits of each group into its head (distinct bits per source: a sum is an OR)
    sf = np.take_along_axis(flags, order, 1).astype(np.int64)
    group = np.cumsum(head, axis=1) - 1
    summed = np.zeros((B, C), dtype=np.int64)
    np.add.at(summed, (np.repeat(np.arange(B), C), group.ravel()), sf.ravel())
    head_flags = np.take_along_axis(summed, group, 1)
    keep_sorted = head & (sk < n_items)
    keep = np.zeros((B, C), dtype=bool)
    np.put_along_axis(keep, order, keep_sorted, 1)
    all_flags = np.zeros((B, C), dtype=np.int64)
    np.put_along_axis(all_flags, order, head_flags, 1)
    width = int(keep.sum(axis=1).max(initial=0))
    out_ids = np.full((B, width), -1, dtype=np.int64)
    out_flags = np.zeros((B, width), dtype=np.uint8)
    pos = np.cumsum(keep, axis=1) - 1
    r, c = np.nonzero(keep)
    out_ids[r, pos[r, c]] = ids[r, c]
    out_flags[r, pos[r, c]] = all_flags[r, c]
    return out_ids, out_flags
