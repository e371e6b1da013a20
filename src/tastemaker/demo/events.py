"""The logged events of a demo world, drawn from its discoveries, and their Arrow tables.

See `tastemaker.demo.world` for the story. `iter_chunks` is the one generator every output path
uses: chunk ``c`` covers users ``c·chunk_users`` up to the next chunk and draws from its own seed
stream, so the same world always gives the same chunks whether it is held in memory or streamed.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .listening import (DRIFT_WEIGHT, KINDS, PLAY, SAVE, SHORT_MS, SKIP, VISIT, Chunk, Sampler,
                        decay, draw_discoveries, draw_users, p_short)
from .model import DAY, WEEK, World

# listening by hour of day (UTC), the same every day
HOURS = np.array([2, 1, 1, .5, .5, .5, 1, 2, 3, 3, 3, 3, 4, 4, 3, 3, 4, 5, 6, 7, 7, 6, 5, 3])
_HOUR_CUM = np.cumsum(HOURS / HOURS.sum())


def _time_in_week(rng, n: int) -> np.ndarray:
    """Seconds after Monday 00:00 for ``n`` events: any day, hours by `HOURS`."""
    day_sec = rng.integers(7 * 3600, size=n)
    hour = np.minimum(np.searchsorted(_HOUR_CUM, rng.random(n), side="right"), 23)
    return (day_sec // 3600) * DAY + hour * 3600 + day_sec % 3600


def draw_events(world: World, users: dict, d: dict, rng) -> dict:
    """Events for a chunk's discoveries, as arrays sorted by time: ``user`` (chunk-local index),
    ``track`` (-1 for an artist-only visit), ``artist``, ``kind`` (index into `KINDS`), ``ts``
    (seconds since the Unix epoch, UTC) and ``ms`` (ms played, -1 for events that are not plays)."""
    p, cat = world.params, world.catalogue
    weeks, start = p.weeks, p.start_ts
    user, track, love, w0, acc = d["user"], d["track"], d["love"], d["week"], d["accepted"]
    n_d = len(user)
    logged = w0 >= 0
    t_first = start + np.maximum(w0, 0) * WEEK + _time_in_week(rng, n_d)
    end_first = start + (np.maximum(w0, 0) + 1) * WEEK
    dur = cat.duration_ms[track]

    # accepted discoveries: played at once, then replayed at a fading rate in later weeks
    ia = np.flatnonzero(acc)
    lam = users["replay"][user[ia]] * love[ia]
    age = np.arange(weeks)[None, :] - w0[ia][:, None]
    mean = lam[:, None] * np.where(age > 0, decay(love[ia])[:, None] ** np.maximum(age, 1), 0.0)
    mean[age == 0] = 0.8 * np.broadcast_to(lam[:, None], age.shape)[age == 0]
    counts = rng.poisson(mean) + (age == 0)
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    di, pw = ia[cell // weeks], cell % weeks
    n = len(cell)
    in_first_week = pw == w0[di]
    first = in_first_week & np.r_[True, cell[1:] != cell[:-1]]
    week_end = start + (pw + 1) * WEEK
    tf = t_first[di]
    ts = start + pw * WEEK + _time_in_week(rng, n)
    after_first = tf + 1 + (rng.random(n) * (week_end - tf - 1)).astype(np.int64)
    ts = np.minimum(np.where(first, tf, np.where(in_first_week, after_first, ts)), week_end - 1)
    short = ~first & (rng.random(n) < p_short(love[di]))
    full = np.minimum(dur[di], (dur[di] * rng.uniform(0.75, 1.25, n)).astype(np.int64))
    ms = np.where(short, rng.integers(1_000, SHORT_MS, size=n), full)
    sk = np.flatnonzero(short & (rng.random(n) < 0.5))

    # rejected discoveries: a partial listen, mostly followed by a skip
    ir = np.flatnonzero(~acc & logged)
    r_ms = rng.integers(1_000, SHORT_MS, size=len(ir))
    skr = rng.random(len(ir)) < 0.75

    # loved discoveries are saved and their artist's page visited, after the first play
    u = rng.random((3, n_d))
    isv = np.flatnonzero(acc & logged & (u[0] < 0.55 * love ** 3))
    ivi = np.flatnonzero(acc & logged & (u[1] < 0.3 * love ** 2))
    after = t_first + dur // 1000
    sv_ts = np.minimum(after[isv] + rng.integers(3600, size=len(isv)), end_first[isv] - 1)
    vi_ts = np.minimum(after[ivi] + rng.integers(1800, size=len(ivi)), end_first[ivi] - 1)

    disc = np.concatenate([di, di[sk], ir, ir[skr], isv, ivi])
    parts = [(PLAY, n), (SKIP, len(sk)), (PLAY, len(ir)), (SKIP, int(skr.sum())),
             (SAVE, len(isv)), (VISIT, len(ivi))]
    kind = np.repeat(np.array([k for k, _ in parts], dtype=np.int8), [m for _, m in parts])
    ts_all = np.concatenate([
        ts, np.minimum(ts[sk] + ms[sk] // 1000, week_end[sk] - 1), t_first[ir],
        np.minimum(t_first[ir][skr] + r_ms[skr] // 1000, end_first[ir][skr] - 1), sv_ts, vi_ts])
    ms_all = np.concatenate([ms, np.full(len(sk), -1), r_ms,
                             np.full(int(skr.sum()) + len(isv) + len(ivi), -1)])
    ev_track = track[disc]
    ev_artist = cat.artist[ev_track]
    artist_only = np.zeros(len(disc), dtype=bool)
    artist_only[len(disc) - len(ivi):] = u[2][ivi] < 0.25
    ev_track = np.where(artist_only, -1, ev_track)
    ev_user = user[disc]
    order = np.lexsort((kind, ev_track, ev_user, ts_all))
    return {"user": ev_user[order], "track": ev_track[order], "artist": ev_artist[order],
            "kind": kind[order], "ts": ts_all[order], "ms": ms_all[order]}


def arrow_ids(prefix: str, idx: np.ndarray, n_total: int) -> pa.Array:
    """Ids such as ``u00042`` for indices ``idx``, padded like the catalogue's ids."""
    width = max(5, len(str(n_total - 1)))
    digits = pc.utf8_lpad(pc.cast(pa.array(idx, type=pa.int64()), pa.string()), width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _lookup(idx: np.ndarray, dictionary: pa.Array) -> pa.Array:
    indices = pa.array(np.maximum(idx, 0).astype(np.int32), mask=idx < 0)
    return pa.DictionaryArray.from_arrays(indices, dictionary).dictionary_decode()


def _users_table(world: World, users: dict, ids: pa.Array) -> pa.Table:
    names = pa.array([s.name for s in world.styles])
    rate = np.where(users["light"], 0.4 / world.params.weeks, users["rate"] * world.activity_scale)
    cols = {"user_id": ids, "light": users["light"], "drift": users["drift"],
            "activity": np.round(users["activity"], 4), "discovery_rate": np.round(rate, 4),
            "replay": np.round(users["replay"], 4)}
    for c in range(3):
        st = users["style"][:, c]
        cols[f"style_{c + 1}"] = _lookup(st, names)
        cols[f"weight_{c + 1}"] = pa.array(np.round(users["weight"][:, c], 4), mask=st < 0)
        cols[f"scene_{c + 1}"] = pa.array(users["scene"][:, c], mask=st < 0)
    cols["drift_style"] = _lookup(users["style"][:, 3], names)
    cols["drift_weight"] = np.where(users["drift"], DRIFT_WEIGHT, 0.0)
    return pa.table(cols)


def iter_chunks(world: World) -> Iterator[Chunk]:
    """Generate the world's listening chunk by chunk (users, discoveries, events)."""
    p, cat = world.params, world.catalogue
    sampler = Sampler(world)
    track_ids = pa.array(cat.track_ids.astype(str))
    artist_ids = pa.array(cat.artist_ids.astype(str))
    kinds = pa.array(KINDS)
    for c, lo in enumerate(range(0, p.n_users, p.chunk_users)):
        n = min(p.chunk_users, p.n_users - lo)
        rng = np.random.default_rng(np.random.SeedSequence(p.seed, spawn_key=(2, c)))
        users = draw_users(world, sampler, n, rng)
        d = draw_discoveries(world, sampler, users, world.activity_scale, rng)
        ev = draw_events(world, users, d, rng)
        user_ids = arrow_ids("u", np.arange(lo, lo + n), p.n_users)
        discoveries = pa.table({
            "user_id": _lookup(d["user"], user_ids), "track_id": _lookup(d["track"], track_ids),
            "week": d["week"].astype(np.int16), "love": np.round(d["love"], 4).astype(np.float32),
            "accepted": d["accepted"], "explore": d["explore"]})
        m = len(ev["ts"])
        events = pa.table({
            "user_id": _lookup(ev["user"], user_ids), "track_id": _lookup(ev["track"], track_ids),
            "artist_id": _lookup(ev["artist"], artist_ids),
            "kind": _lookup(ev["kind"].astype(np.int64), kinds),
            "ts": pa.array(ev["ts"] * 1000, type=pa.timestamp("ms")),
            "count": pa.array(np.ones(m, dtype=np.int32)),
            "ms_played": pa.array(ev["ms"], mask=ev["ms"] < 0, type=pa.int64())})
        yield Chunk(c, _users_table(world, users, user_ids), discoveries, events)
