"""What a demo world is made of: its parameters, its clock and the `World` that holds it.

`tastemaker.demo.world` builds a `World` from `WorldParams` (see it for the story), then
`tastemaker.demo.listening` and `tastemaker.demo.events` read the world's parameters, styles and
catalogue to draw its listening, and `tastemaker.demo.output` writes it. They all meet here, so
this module imports none of them: its data flows up to them, never back.

The clock: a world logs ``weeks`` weeks ending at ``end`` (a Monday 00:00 UTC), preceded by
`PAST_WEEKS` unlogged weeks; times are seconds since the Unix epoch, in `DAY` s and `WEEK` s.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import ParameterError, check_param
from .catalogue import Catalogue
from .styles import Style, style_similarity

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
