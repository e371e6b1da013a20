"""The engine protocol: every hook the engine-independent code calls, documented once.

An engine holds the warehouse (events, catalogue, documents, analyses, playlists, runs) and runs
the data-heavy steps on it. The orchestration — ingest's bookkeeping, training, the week, the
evaluation, the query layer — lives outside ``tastemaker.engine`` and calls only these hooks.
Each hook is a unit of work that an engine can run its own way: it takes plain values (ids,
ISO times, Arrow tables) and returns NumPy arrays, Arrow tables, rows or numbers.

Conventions:

* Ids are the warehouse's dense indices (``user_idx``, ``track_idx``, ``artist_idx``, assigned at
  ingest and never changed); the user's own ids (``user_id``, ``track_id``) appear only in lookups.
* A time bound (``until``, ``since``) is a `datetime.datetime` or an ISO string, in UTC;
  ``since <= ts < until``.
* A column dictionary maps column names to 1-D NumPy arrays of one length (masked arrays where a
  value can be missing).
* Writes are atomic per hook. `transaction` groups several hooks into one unit (all or nothing,
  Ctrl-C included) where a step must write several things together (one ingested file, one
  batch of analysed documents).

The embedded engine (`tastemaker.engine.duckdb.DuckDBEngine`) implements every hook; a test
checks that nothing outside ``tastemaker.engine`` runs SQL.
"""

from __future__ import annotations

import abc
import collections
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class BatchResult:
    """What one ingested batch gave: rows read, rows rejected (quarantined), why (reason counts)."""

    rows: int
    rejected: int
    reasons: collections.Counter = field(default_factory=collections.Counter)


class Engine(abc.ABC):
    """Where the warehouse lives and what runs on it. Open one with `tastemaker.engine.open_engine`."""

    #: the engine's name (``duckdb``, ``spark``)
    kind: str = "engine"

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    @abc.abstractmethod
    def location(self) -> str:
        """Where the warehouse lives (a file, a folder or a URI), for manifests and messages."""

    @abc.abstractmethod
    def scratch_dir(self) -> Path | None:
        """A local folder for large temporary files of a step (None: the system's temporary folder)."""

    @abc.abstractmethod
    def transaction(self):
        """A context manager: the hooks called inside it take effect together or not at all."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the warehouse (the engine cannot be used after)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- events and interactions ----------------------------------------------------------------
    @abc.abstractmethod
    def interaction_sums(self, min_play_ms: int, *, until=None, since=None,
                         from_table: bool = False) -> dict[str, np.ndarray]:
        """One row per (user, track) heard in [since, until): columns ``user_idx``, ``track_idx``,
        ``plays``, ``short_plays`` (plays under ``min_play_ms``), ``saves``, ``skips``,
        ``artist_visits`` (`tastemaker.engine.sql.interactions`). Events without a timestamp
        count only when both bounds are None. ``from_table``: the materialised interactions."""

    @abc.abstractmethod
    def materialize_interactions(self, min_play_ms: int, *, force: bool = True) -> int:
        """Rebuild the materialised interactions from every event, atomically; with
        ``force=False`` only when the events changed since the last build. Returns their count."""

    @abc.abstractmethod
    def new_plays(self, min_play_ms: int, *, since, until) -> tuple[np.ndarray, np.ndarray]:
        """(user_idx, track_idx) of the pairs with a full-length play in [since, until)."""

    @abc.abstractmethod
    def event_span(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The first and last event timestamps (None, None without timestamps)."""

    @abc.abstractmethod
    def untimed_events(self) -> int:
        """How many events have no timestamp."""

    @abc.abstractmethod
    def event_count(self) -> int:
        """How many events the warehouse holds."""

    @abc.abstractmethod
    def track_play_counts(self, min_play_ms: int, *, until=None, since=None
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(track_idx, listeners, plays) of the tracks played (at least ``min_play_ms`` per row,
        or of unknown duration) in [since, until)."""

    @abc.abstractmethod
    def interaction_plays(self) -> tuple[np.ndarray, np.ndarray]:
        """(track_idx, full-length plays) from the materialised interactions."""

    # -- catalogue ------------------------------------------------------------------------------
    @abc.abstractmethod
    def dimensions(self) -> tuple[int, int]:
        """(n_users, n_tracks): one more than the largest dense index of each."""

    @abc.abstractmethod
    def n_artists(self) -> int:
        """One more than the largest ``artist_idx``."""

    @abc.abstractmethod
    def track_catalogue(self) -> dict[str, np.ndarray]:
        """Every track: ``track_idx``, ``artist_idx`` (-1 unknown), ``released`` (datetime64[D],
        NaT unknown), ``available`` (bool)."""

    @abc.abstractmethod
    def artist_names(self) -> dict[str, np.ndarray]:
        """Every artist: ``artist_idx``, ``artist_id``, ``name`` (object, None unknown)."""

    @abc.abstractmethod
    def track_sound(self, n_items: int, *, catalogue: bool = True) -> dict[str, np.ndarray]:
        """``track_idx``, ``tempo``, ``key``, ``mode``, ``loudness`` of the tracks below
        ``n_items`` that have them: the latest successful analysis of each, else (with
        ``catalogue``) the values the catalogue row carried in its attributes."""

    @abc.abstractmethod
    def track_uris(self) -> tuple[np.ndarray, list[str]]:
        """(track_idx, uri) of the tracks whose catalogue row says where the audio is."""

    @abc.abstractmethod
    def titled_tracks(self) -> list[tuple[int, int, str]]:
        """(track_idx, artist_idx, title) of the tracks whose title is not their artist's name."""

    @abc.abstractmethod
    def user_index(self, user_id: str) -> int | None:
        """The ``user_idx`` of a ``user_id``, or None."""

    @abc.abstractmethod
    def track_index(self, track_id: str) -> int | None:
        """The ``track_idx`` of a ``track_id``, or None."""

    @abc.abstractmethod
    def artist_index(self, key: str) -> tuple[int, str] | None:
        """(artist_idx, display name) of the artist whose id is `key` or whose name is `key`
        (case-insensitive; the id wins), or None."""

    @abc.abstractmethod
    def artist_track_index(self, artist_idx: int, key: str) -> int | None:
        """The track of an artist whose id or title (case-insensitive) is `key`, or None."""

    @abc.abstractmethod
    def labels(self, kind: str, idx) -> dict[int, tuple[str, str]]:
        """{index: (own id, display name)} of users, tracks or artists (``kind``)."""

    @abc.abstractmethod
    def track_details(self, track_idx: int) -> dict | None:
        """A track's catalogue row with its artist (id and name), or None."""
