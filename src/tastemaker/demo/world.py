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

>>> from tastemaker.demo import generate_world, write_world
>>> world = generate_world(n_users=2_000, seed=0)          # doctest: +SKIP
>>> write_world(world, "demo-data")                        # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from functools import cached_property

import numpy as np
import pandas as pd

from ..errors import ParameterError, check_param
from .catalogue import Catalogue, build_catalogue
from .styles import STYLES, Style, style_similarity

PAST_WEEKS = 12         # unlogged weeks of listening before the first logged week
DAY = 86_400
WEEK = 7 * DAY


@dataclass(frozen=True)
class WorldParams:
    """The sizes and knobs of a demo world. Defaults give a world the whole pipeline runs on in
    about a minute (2,000 users, 300 artists, 3,000 tracks, about 400,000 events).

    ``end`` is the Monday (00:00 UTC) that closes the last week; ``weeks`` weeks are logged
    before it, the last of which is the test week. Same parameters, same files, byte for byte.
    """

    n_users: int = 2_000
    n_artists: int = 300
    tracks_per_artist: int = 10
    weeks: int = 8
    events_per_user_week: float = 25.0
    seed: int = 0
    end: dt.date = dt.date(2026, 11, 23)
    scenes: int = 4
    cold_share: float = 0.03
    fresh_share: float = 0.04
    light_share: float = 0.08
    drift_share: float = 0.03
    explore_share: float = 0.08
    chunk_users: int = 25_000

    def __post_init__(self):
        own = "generate_world"
        check_param(own, "n_users", self.n_users, low=1, high=100_000_000, kind=int)
        check_param(own, "n_artists", self.n_artists, low=1, high=10_000_000, kind=int)
        check_param(own, "tracks_per_artist", self.tracks_per_artist, low=1, high=10_000, kind=int)
        check_param(own, "n_tracks", self.n_tracks, low=2, high=50_000_000)
        check_param(own, "weeks", self.weeks, low=2, high=104, kind=int)
        check_param(own, "events_per_user_week", self.events_per_user_week, low=1, high=1_000,
                    kind=(int, float))
        check_param(own, "seed", self.seed, low=0, kind=int)
        check_param(own, "scenes", self.scenes, low=1, high=64, kind=int)
        for name in ("cold_share", "fresh_share", "light_share", "drift_share", "explore_share"):
            check_param(own, name, getattr(self, name), low=0, high=0.5, kind=(int, float))
        check_param(own, "chunk_users", self.chunk_users, low=1, kind=int)
        end = self.end
        if isinstance(end, str):
            try:
                end = dt.date.fromisoformat(end)
            except ValueError:
                raise ParameterError(f"The 'end' parameter of {own} must be an ISO date such as "
                                     f"'2026-11-23'. Got {self.end!r} instead.") from None
            object.__setattr__(self, "end", end)
        if not isinstance(end, dt.date) or end.isoweekday() != 1:
            raise ParameterError(f"The 'end' parameter of {own} must be a Monday (the day after "
                                 f"the test week). Got {self.end!r} instead.")

    @property
    def n_tracks(self) -> int:
        return self.n_artists * self.tracks_per_artist

    @property
    def start(self) -> dt.date:
        """The Monday that opens the first logged week."""
        return self.end - dt.timedelta(weeks=self.weeks)

    @property
    def test_week_start(self) -> dt.date:
        return self.end - dt.timedelta(weeks=1)

    @property
    def start_ts(self) -> int:
        """The first logged second, in seconds since the Unix epoch."""
        return int((self.start - dt.date(1970, 1, 1)).days) * DAY

    def to_dict(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["end"] = self.end.isoformat()
        return d


@dataclass
class World:
    """A generated world: its parameters, styles, catalogue and (when materialised) listening.

    ``artists`` and ``tracks`` are DataFrames (``tracks`` holds the catalogue columns plus the
    ground truth ``scene``, ``quality``, ``available_week``, ``cold``). ``chunks`` holds the
    generated `listening.Chunk` s when the world was materialised; ``users``, ``discoveries``
    and ``events`` are their concatenation as DataFrames (``ts`` is naive UTC).
    """

    params: WorldParams
    styles: tuple[Style, ...]
    artists: pd.DataFrame
    tracks: pd.DataFrame
    catalogue: Catalogue = field(repr=False)
    activity_scale: float = 1.0
    replay_scale: float = 1.0
    chunks: list | None = field(default=None, repr=False)

    @cached_property
    def similarity(self) -> np.ndarray:
        return style_similarity(self.styles)

    def _concat(self, name: str) -> pd.DataFrame:
        if self.chunks is None:
            raise ParameterError("This world was generated with materialize=False; stream its "
                                 "listening with write_world, write_events_chunks or iter_chunks.")
        import pyarrow as pa
        table = pa.concat_tables([getattr(c, name) for c in self.chunks])
        return table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)

    @cached_property
    def users(self) -> pd.DataFrame:
        return self._concat("users")

    @cached_property
    def discoveries(self) -> pd.DataFrame:
        return self._concat("discoveries")

    @cached_property
    def events(self) -> pd.DataFrame:
        return self._concat("events")


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
    from . import listening

    rng = np.random.default_rng(np.random.SeedSequence(params.seed, spawn_key=(0,)))
    artists, tracks, catalogue = build_catalogue(params, STYLES, rng)
    world = World(params, STYLES, artists, tracks, catalogue)
    world.activity_scale, world.replay_scale = listening.calibrate(world)
    if materialize:
        from .events import iter_chunks
        world.chunks = list(iter_chunks(world))
    return world
