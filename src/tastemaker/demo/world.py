"""A seeded synthetic music world in which taste, sound and words are linked.

The demo world lets one command show the whole system working on a fresh machine, and gives
every model a ground truth to be checked against. It is generated in five steps, all drawn from
one seed with numpy (no Python loop per event), so the same parameters give byte-identical files.

1. **Styles** (`tastemaker.demo.styles`): twelve named styles, each with the audio parameters a
   synthesiser will draw from (tempo, keys and mode, metre, loudness, onset density,
   instruments, brightness, duration) and fifteen descriptors people write about it. Styles sit
   on a 2-D map; their similarity is a Gaussian of the distance, so neighbouring styles share
   listeners (and a few words). Each style is split into ``scenes`` (4 by default): finer
   sub-communities that listeners and artists belong to, visible to collaborative filtering and,
   faintly, in the audio (each scene has its own tempo band and favourite instrument), but not
   in the words.
2. **Artists**: a main style drawn by style popularity, a neighbouring secondary style for about
   a third of them, a scene, a heavy-tailed (log-normal) popularity and a pronounceable fake name;
   a few are named after common English words ("Yes", "Air", "Low"), a trap for text models.
3. **Tracks**: each artist gets at least one track, popular artists a few more; every track takes
   its artist's style (or the secondary one), a quality (log-normal), concrete audio parameters
   drawn from its style and scene, a duration, an album and a release date. A share of tracks
   (``cold_share``) are singles released during the test week and are never played: the cold
   start the audio model exists for. Another share (``fresh_share``) are released on the Monday
   of one of the observed weeks and are only played from then on (those released in the test
   week have plays only there). Small artists' tracks get very few plays by the heavy tail.
4. **Users**: a taste that is a Dirichlet mixture over 1–3 styles near each other (the first by
   style popularity, the others by similarity to those already chosen), a favourite scene in
   each, and a heavy-tailed (log-normal) activity whose square root sets how many tracks they
   discover and whose other square root sets how often they replay them. A share are light
   users (one or two discoveries, no past: the fallback path); a share drift: a neighbouring
   style grows linearly to 70 % of their taste by the test week.
5. **Listening** (`tastemaker.demo.listening`, `tastemaker.demo.events`), over ``weeks`` weeks
   ending just before a Monday 00:00 UTC (the last full ISO week is the test week), preceded by
   twelve unlogged weeks of past so that the logged weeks start in a steady state. Each week a
   user *discovers* new tracks (Poisson in their activity): a style from their taste of that
   week (or, for ``explore_share`` of them, from the whole catalogue), their scene more often
   than not, then a track by artist popularity × track quality among the released ones; a user
   never discovers the same track twice. How much they love it follows their taste (their
   mixture's similarity to the track's style, the scene, the quality, noise). An unloved
   discovery is a partial listen (< 30 s) and mostly a ``skip``; a loved one is played at once
   and replayed in the following weeks at a rate that fades more slowly the more it is loved,
   so that most plays are replays; some replays are partial listens (half with a ``skip``); a
   loved discovery is often saved and its artist's page visited (a quarter of visits carry no
   track). Every event has ``count`` 1; plays carry ``ms_played``. The mean number of events per
   user-week is calibrated to ``events_per_user_week`` on a pilot population before the real
   one is drawn (within a few per cent): users discover more, and, once they would know half
   of a small catalogue, replay more instead.

Because discoveries follow taste and the catalogue's popularity, a time split (train on weeks
1..n-1, test on the tracks each user first plays in week n) is predictable from taste; the
ground truth says by how much.

Users are generated in chunks of ``chunk_users``, each from its own seed stream, and written
chunk by chunk (`tastemaker.demo.output`), so a benchmark-scale world (1 M users, 200 k tracks,
50 M events) streams to Parquet in a couple of minutes of CPU and under 1 GB of memory. Ground
truth is kept next to the inputs: ``styles.json``, ``users.parquet`` (tastes),
``artists.parquet``, ``tracks.parquet`` (scene, quality, first playable week, cold) and
``discoveries.parquet`` (who found what, in which week, how much they loved it).

This module only puts the steps together (`generate_world`): `WorldParams`, the `World` that
holds what is generated and the clock (`PAST_WEEKS`, `DAY`, `WEEK`) are in
`tastemaker.demo.model`, which imports no other step, so that the imports run one way:
world -> events -> listening -> model.

>>> from tastemaker.demo import generate_world, write_world
>>> world = generate_world(n_users=2_000, seed=0)          # doctest: +SKIP
>>> write_world(world, "demo-data")                        # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np

from ..errors import ParameterError
from .catalogue import build_catalogue
from .events import iter_chunks
from .listening import calibrate
from .model import World, WorldParams
from .styles import STYLES


def generate_world(*, n_users: int = 2_000, n_artists: int = 300, tracks_per_artist: int = 10,
                   weeks: int = 8, events_per_user_week: float = 25.0, seed: int = 0,
                   materialize: bool = True, **options) -> World:
    """Generate a demo world; see the module docstring for how.

    ``options`` are the other `WorldParams` fields (``end``, ``scenes``, ``cold_share``,
    ``fresh_share``, ``light_share``, ``drift_share``, ``explore_share``, ``chunk_users``).
    With ``materialize=False`` only the catalogue is built and the listening is left to be
    streamed chunk by chunk (for benchmark-scale worlds).

    >>> w = generate_world(n_users=50, n_artists=20, tracks_per_artist=5, weeks=3,
    ...                    events_per_user_week=5, seed=1)
    >>> len(w.tracks), sorted(w.events["kind"].unique())
    (100, ['artist_visit', 'play', 'save', 'skip'])
    """
    unknown = set(options) - {f.name for f in fields(WorldParams)}
    if unknown:
        raise ParameterError(f"generate_world got unknown options {sorted(unknown)}; expected "
                             f"fields of WorldParams.")
    params = WorldParams(n_users=n_users, n_artists=n_artists,
                         tracks_per_artist=tracks_per_artist, weeks=weeks,
                         events_per_user_week=events_per_user_week, seed=seed, **options)
    rng = np.random.default_rng(np.random.SeedSequence(params.seed, spawn_key=(0,)))
    artists, tracks, catalogue = build_catalogue(params, STYLES, rng)
    world = World(params, STYLES, artists, tracks, catalogue)
    world.activity_scale, world.replay_scale = calibrate(world)
    if materialize:
        world.chunks = list(iter_chunks(world))
    return world
