"""How the users of a demo world listen: tastes, discoveries and events, a chunk of users at a time.

See `tastemaker.demo.world` for the story. Everything here is vectorised over a chunk: users are
arrays, discoveries are arrays (one entry per user × newly found track), events are arrays (one
entry per logged event). Each chunk draws from its own seed stream, so chunks can be generated
and written one after the other with memory bounded by the chunk size.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pyarrow as pa

from ..errors import ParameterError
from .model import PAST_WEEKS, World

KINDS = ("play", "skip", "save", "artist_visit")
PLAY, SKIP, SAVE, VISIT = range(4)
SHORT_MS = 30_000                      # plays shorter than this are partial listens
DRIFT_WEIGHT = 0.7                     # a drifting user's share of the new style at the end


@dataclass(frozen=True)
class Chunk:
    """One chunk of users: ``users`` (taste ground truth), ``discoveries`` (ground truth) and
    ``events`` (user_id, track_id, artist_id, kind, ts as naive-UTC timestamp[ms], count int32,
    ms_played int64; null track_id for artist-only visits, null ms_played except for plays)."""

    index: int
    users: pa.Table
    discoveries: pa.Table
    events: pa.Table


def p_reject(love):
    return 0.95 * (1.0 - love) ** 1.3


def p_short(love):
    return 0.04 + 0.25 * (1.0 - love)


def decay(love):
    return 0.4 + 0.45 * love


class Sampler:
    """Draws tracks for discoveries: by group (style × scene) and week, ∝ popularity × quality
    among the released tracks (fresh releases boosted ×3 in their first week, ×2 in the next)."""

    def __init__(self, world: World):
        cat, p = world.catalogue, world.params
        n_s, sc = len(world.styles), p.scenes
        self.n_groups = n_s * sc
        group = cat.style.astype(np.int64) * sc + cat.scene
        self.order = np.argsort(group, kind="stable")
        counts = np.bincount(group, minlength=self.n_groups)
        end = np.cumsum(counts)
        start = end - counts
        week = np.arange(PAST_WEEKS + p.weeks)[:, None] - PAST_WEEKS
        avail = cat.available[self.order][None, :].astype(np.int64)
        age = week - np.where(avail > 0, avail, -PAST_WEEKS)
        boost = 1.0 + (avail > 0) * (2.0 * (age == 0) + 1.0 * (age == 1))
        w = np.where(age >= 0, cat.weight[self.order][None, :] * boost, 0.0)
        self.cum = np.concatenate([np.zeros((len(week), 1)), np.cumsum(w, axis=1)], axis=1)
        self.base = self.cum[:, start]
        self.total = self.cum[:, end] - self.base
        last_pos = np.maximum.accumulate(np.where(w > 0, np.arange(w.shape[1]), -1), axis=1)
        self.last = last_pos[:, np.maximum(end - 1, 0)]
        # a group with nothing to play that week sends its draws to the biggest group of the
        # same style, else of the most similar style
        sim = world.similarity
        self.redirect = np.tile(np.arange(self.n_groups), (len(week), 1))
        for s in range(len(week)):
            tot = self.total[s].reshape(n_s, sc)
            if tot.sum() <= 0:
                raise ParameterError("The demo world has no playable track; raise n_artists or "
                                     "tracks_per_artist, or lower cold_share.")
            style_tot = tot.sum(1)
            for g in np.flatnonzero(self.total[s] <= 0):
                st = g // sc
                if style_tot[st] <= 0:
                    st = int(np.argmax(np.where(style_tot > 0, sim[g // sc], -1.0)))
                self.redirect[s, g] = st * sc + int(np.argmax(tot[st]))
        self.style_weight = np.array([x.popularity for x in world.styles]) * (
            self.total[-1].reshape(n_s, sc).sum(1) > 0)

    def draw(self, slot: np.ndarray, group: np.ndarray, rng) -> np.ndarray:
        g = self.redirect[slot, group]
        r = self.base[slot, g] + rng.random(len(slot)) * self.total[slot, g]
        pos = np.empty(len(slot), dtype=np.int64)
        for s in np.unique(slot):
            m = slot == s
            pos[m] = np.searchsorted(self.cum[s], r[m], side="right") - 1
        return self.order[np.minimum(pos, self.last[slot, g])]


_Z = np.linspace(-6.0, 6.0, 4001)
_PHI = np.array([NormalDist().cdf(z) for z in _Z])


def stratified_normal(rng, n: int) -> np.ndarray:
    """``n`` standard normal draws, one in each of ``n`` equal-probability strata (shuffled), so
    that sums over a chunk of users vary far less than with independent draws."""
    return np.interp((rng.permutation(n) + rng.random(n)) / n, _PHI, _Z)


def _rows_categorical(rng, p: np.ndarray) -> np.ndarray:
    """One draw per row of non-negative weights ``p`` (n × k); k where a row is all zero."""
    cum = np.cumsum(p, axis=1)
    u = rng.random(len(p)) * cum[:, -1]
    idx = (cum <= u[:, None]).sum(1)
    return np.where(cum[:, -1] > 0, np.minimum(idx, p.shape[1] - 1), p.shape[1])


def draw_users(world: World, sampler: Sampler, n: int, rng) -> dict:
    """Tastes (up to 3 styles + a drift style: ``style``, ``weight``, ``scene``, n × 4), activity,
    light and drift flags for ``n`` users. Activity is split between discovering (``rate``, new
    tracks per week before calibration) and replaying (``replay``) as its square root each."""
    p, sim = world.params, world.similarity
    n_s = len(world.styles)
    sw = sampler.style_weight
    k = 1 + np.searchsorted(np.cumsum([0.45, 0.35, 0.20]), rng.random(n), side="right")
    style = np.full((n, 4), -1, dtype=np.int64)
    style[:, 0] = _rows_categorical(rng, np.broadcast_to(sw, (n, n_s)))
    chosen = np.eye(n_s, dtype=bool)[style[:, 0]]
    for c in (1, 2, 3):                       # c = 3 is the drift target
        prev = style[:, :1] if c == 3 else style[:, :c]
        near = (sim[np.maximum(prev, 0)] * (prev >= 0)[..., None]).max(1)
        pick = _rows_categorical(rng, np.where(chosen, 0.0, near * np.sqrt(sw)))
        ok = pick < n_s
        if c < 3:
            ok &= k > c
            chosen[ok, pick[ok]] = True
        style[ok, c] = pick[ok]
    light = rng.random(n) < p.light_share
    drift = (rng.random(n) < p.drift_share) & ~light & (style[:, 3] >= 0)
    style[~drift, 3] = -1
    weight = rng.gamma(1.5, size=(n, 3)) * (style[:, :3] >= 0)
    weight /= weight.sum(1, keepdims=True)
    activity = np.exp(stratified_normal(rng, n) - 0.5)               # log-normal, mean 1
    replay = 1.5 * np.exp(0.5 * stratified_normal(rng, n) - 0.125)   # weekly plays of a loved track
    order = np.argsort(-weight, axis=1, kind="stable")
    style[:, :3] = np.take_along_axis(style[:, :3], order, 1)
    weight = np.concatenate([np.take_along_axis(weight, order, 1), np.zeros((n, 1))], axis=1)
    return {"n": n, "style": style, "weight": weight,
            "scene": rng.integers(p.scenes, size=(n, 4)), "light": light, "drift": drift,
            "activity": activity, "rate": np.where(light, 0.0, np.sqrt(activity)),
            "replay": replay * np.where(light, 0.3, np.sqrt(activity)) * world.replay_scale}


def taste_at(users: dict, user: np.ndarray, week: np.ndarray, weeks: int) -> np.ndarray:
    """The taste weights (len(user) × 4) of ``user`` in logged week ``week`` (drift applied)."""
    lam = DRIFT_WEIGHT * np.clip(week, 0, weeks - 1) / (weeks - 1) * users["drift"][user]
    w = users["weight"][user].copy()
    w[:, :3] *= (1.0 - lam)[:, None]
    w[:, 3] = lam
    return w


def _pick(world: World, sampler: Sampler, users: dict, user, slot, rng):
    """One track for each (user, slot): a style from the taste of that week (or, exploring,
    from the whole catalogue), the user's scene more often than not, then a track."""
    p = world.params
    comp = _rows_categorical(rng, taste_at(users, user, slot - PAST_WEEKS, p.weeks))
    style = users["style"][user, comp]
    scene = np.where(rng.random(len(user)) < 0.6, users["scene"][user, comp],
                     rng.integers(p.scenes, size=len(user)))
    explore = rng.random(len(user)) < p.explore_share
    n_x = int(explore.sum())
    style[explore] = _rows_categorical(rng, np.broadcast_to(sampler.style_weight,
                                                            (n_x, len(world.styles))))
    scene[explore] = rng.integers(p.scenes, size=n_x)
    return sampler.draw(slot, style * p.scenes + scene, rng), explore


def draw_discoveries(world: World, sampler: Sampler, users: dict, scale: float, rng) -> dict:
    """Who newly finds which track in which slot (week + PAST_WEEKS: the unlogged past, then the
    logged weeks), and how much they love it; at most one discovery per user and track."""
    p, cat, sim = world.params, world.catalogue, world.similarity
    n, weeks, slots = users["n"], p.weeks, PAST_WEEKS + p.weeks
    light = users["light"]
    counts = rng.poisson(np.repeat(users["rate"][:, None] * scale, slots, axis=1))
    counts[light, PAST_WEEKS:] = rng.poisson(0.4 / weeks, size=(int(light.sum()), weeks))
    idle = np.flatnonzero(counts[:, PAST_WEEKS:].sum(1) == 0)
    counts[idle, PAST_WEEKS + rng.integers(weeks, size=len(idle))] = 1
    cell = np.repeat(np.arange(n * slots), counts.ravel())
    pending_user, pending_slot = cell // slots, cell % slots
    user = slot = track = explore = np.zeros(0, dtype=np.int64)
    # a user finds a track once: keep the earliest draw of each (user, track), and draw again
    # (twice at most) for the draws that found a known track
    for _ in range(3):
        t, x = _pick(world, sampler, users, pending_user, pending_slot, rng)
        user, slot = np.concatenate([user, pending_user]), np.concatenate([slot, pending_slot])
        track, explore = np.concatenate([track, t]), np.concatenate([explore, x]).astype(bool)
        key = user.astype(np.int64) * len(cat.style) + track
        order = np.lexsort((slot, key))
        first = np.ones(len(order), dtype=bool)
        first[1:] = key[order][1:] != key[order][:-1]
        lost = order[~first]
        pending_user, pending_slot = user[lost], slot[lost]
        keep = order[first]
        user, slot, track, explore = user[keep], slot[keep], track[keep], explore[keep]
    order = np.lexsort((track, slot, user))
    user, slot, track, explore = user[order], slot[order], track[order], explore[order]
    week = slot - PAST_WEEKS
    # love: the taste's similarity to the track's style, the scene, the quality, noise
    taste = taste_at(users, user, week, weeks)
    t_style, u_style = cat.style[track], users["style"][user]
    aff = (taste * sim[np.maximum(u_style, 0), t_style[:, None]] * (u_style >= 0)).sum(1)
    same_scene = (u_style == t_style[:, None]) & (users["scene"][user] == cat.scene[track][:, None])
    aff += 0.15 * same_scene.any(1)
    z = 5.0 * (aff - 0.3) + 0.5 * np.log(cat.quality[track]) + 0.6 * rng.standard_normal(len(user))
    love = 1.0 / (1.0 + np.exp(-z))
    accepted = rng.random(len(user)) >= p_reject(love)
    return {"user": user, "week": week, "track": track, "love": love, "accepted": accepted,
            "explore": explore}


def expected_events(world: World, users: dict, d: dict) -> np.ndarray:
    """Expected logged events per user-week, as ``[[active users' part that does not scale
    with replaying, part that does], [the same for light users]]`` (for calibration)."""
    weeks = world.params.weeks
    love, w0 = d["love"], d["week"]
    lam = users["replay"][d["user"]] * love
    dec = decay(love)
    a0 = np.where(w0 >= 0, 1, -w0)
    geo = (dec ** a0 - dec ** (weeks - w0)) / (1.0 - dec)
    pr = p_reject(love)
    kept = np.where(w0 >= 0, 0.55 * love ** 3 + 0.3 * love ** 2, 0.0)
    per_play = 1.0 + 0.5 * p_short(love)
    fixed = np.where(w0 >= 0, 1.75 * pr + (1 - pr) * (per_play + kept), 0.0)
    replayed = (1 - pr) * per_play * lam * (np.where(w0 >= 0, 0.8, 0.0) + geo)
    light = users["light"][d["user"]]
    out = np.array([[fixed[~light].sum(), replayed[~light].sum()],
                    [fixed[light].sum(), replayed[light].sum()]])
    return out / (users["n"] * weeks)


def calibrate(world: World, n_pilot: int | None = None) -> tuple[float, float]:
    """The discovery and replay scales that give ``events_per_user_week`` on average, found on a
    pilot population drawn from its own seed stream. Users discover more until they would know
    half the catalogue; beyond that (a small catalogue), they replay more."""
    p = world.params
    target = p.events_per_user_week
    n_pilot = n_pilot or min(3_000, max(1_000, p.n_users))
    sampler = Sampler(world)
    seq = np.random.SeedSequence(p.seed, spawn_key=(1,))
    users = draw_users(world, sampler, n_pilot, np.random.default_rng(seq))
    max_scale = 0.5 * p.n_tracks / (PAST_WEEKS + p.weeks)
    scale = min(1.0, max_scale)
    for _ in range(8):          # the events grow a little slower than the scale (re-discoveries)
        rng = np.random.default_rng(np.random.SeedSequence(p.seed, spawn_key=(1, 1)))
        e = expected_events(world, users, draw_discoveries(world, sampler, users, scale, rng))
        light = e[1].sum()
        if target <= 1.05 * light:
            raise ParameterError(f"The 'events_per_user_week' parameter of generate_world is too "
                                 f"low for this world (its light users alone make {light:.2f}). "
                                 f"Got {target!r} instead.")
        ratio = (target - light) / e[0].sum()
        if abs(ratio - 1.0) < 0.01 or (ratio > 1 and scale >= max_scale):
            break
        scale = min(scale * min(ratio, 4.0), max_scale)
    if abs(ratio - 1.0) < 0.05:
        return float(scale), 1.0
    replay_scale = (target - e[:, 0].sum()) / e[:, 1].sum()
    if not 0 < replay_scale <= 50:
        raise ParameterError(
            f"The 'events_per_user_week' parameter of generate_world is too high for a "
            f"catalogue of {p.n_tracks} tracks; add artists or tracks, or ask for fewer events. "
            f"Got {target!r} instead.")
    return float(scale), float(replay_scale * world.replay_scale)
