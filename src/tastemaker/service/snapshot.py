"""What the service reads: the snapshot of the warehouse that ``snapshots/CURRENT`` names, opened
read-only, with the latest weeks' lists held in memory so that a user's week is answered without
a query.

A new snapshot is opened and loaded in a background thread while the previous one keeps
answering; the swap is one assignment, so every answer comes from one snapshot, whole.

    >>> snap = Snapshot(settings)
    >>> snap.user_list("u00042")             # the latest week (from memory), or a named one
    >>> with snap.engine() as engine: ...     # anything else, one query at a time
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import queries, snapshots
from ..config import Settings
from ..engine import Engine
from ..engine.duckdb import DuckDBEngine
from ..errors import NotFoundError, TastemakerError
from ..queries.weeks import ListedTrack, UserWeek
from ..weekly.weeks import parse_week, week_of

log = logging.getLogger(__name__)

#: how often (seconds) a request may look whether CURRENT names a newer snapshot
LOOK_EVERY = 0.5


class Unavailable(TastemakerError):
    """The service cannot answer yet (no snapshot)."""


class MemoryWeek:
    """One week's lists as columns in memory (about 20 bytes a row: 6M rows, 120 MB), sliced by
    user: the same `UserWeek` that `queries.user_list` reads from the warehouse."""

    def __init__(self, engine: Engine, week: str, listing: dict[str, np.ndarray]):
        cols = engine.playlist_columns(week)
        users = cols["user_idx"]
        n = int(users.max()) + 1 if len(users) else 0
        self.week = week
        self.starts = np.searchsorted(users, np.arange(n + 1)).astype(np.int64)
        self.position = cols["position"].tolist()
        self.track_idx = cols["track_idx"]
        self.score = cols["score"]
        self.source, self.reason = cols["source"], cols["reason"]
        self.sources, self.reasons = cols["sources"], cols["reasons"]
        self.listing = listing
        run = engine.playlist_run(week) or {}
        params = run.get("params")
        self.run_id, self.model_version = run.get("run_id"), run.get("model_version")
        self.finished_at = run.get("finished_at")
        self.models = json.loads(params).get("models", {}) if isinstance(params, str) else {}

    @property
    def rows(self) -> int:
        return int(self.starts[-1]) if len(self.starts) else 0

    def user_list(self, user_idx: int, user_id: str) -> UserWeek:
        tracks = []
        if user_idx + 1 < len(self.starts):
            lo, hi = int(self.starts[user_idx]), int(self.starts[user_idx + 1])
            lst = self.listing
            for i in range(lo, hi):
                t = int(self.track_idx[i])
                score = float(self.score[i])
                duration = int(lst["duration_ms"][t])
                tracks.append(ListedTrack(self.position[i], lst["track_id"][t], lst["title"][t], lst["artist"][t],
                                          lst["album"][t], None if duration < 0 else duration, lst["uri"][t],
                                          None if score != score else score, self.sources[self.source[i]],
                                          self.reasons[self.reason[i]]))
        return UserWeek(self.week, user_id, tracks, self.model_version, self.run_id, self.finished_at, self.models)


@dataclass
class Loaded:
    """One opened snapshot: its engine, its weeks, its users' indices and the weeks in memory."""

    path: Path
    engine: Engine
    weeks: tuple[str, ...]
    user_index: dict[str, int]
    memory: dict[str, MemoryWeek]
    published_at: str = ""             # when the snapshot was written (ISO, UTC)
    models: dict = field(default_factory=dict)   # model kind -> its latest version then

    @classmethod
    def open(cls, path: Path, memory_weeks: int, settings: Settings) -> "Loaded":
        engine = DuckDBEngine.open(path, read_only=True)
        try:
            weeks = tuple(engine.playlist_weeks())
            # a snapshot never changes: the weeks (asked by every lookup) are read once
            engine.playlist_weeks = lambda: list(weeks)
            ids = engine.user_ids()
            user_index = {u: i for i, u in enumerate(ids.tolist()) if u is not None}
            held = weeks[len(weeks) - memory_weeks:] if memory_weeks else ()
            listing = engine.track_listing() if held else {}
            memory = {w: MemoryWeek(engine, w, listing) for w in held}
        except BaseException:
            engine.close()
            raise
        published = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc).isoformat(timespec="seconds")
        return cls(path, engine, weeks, user_index, memory, published,
                   {m.kind: m.latest for m in queries.models(settings)})


class Snapshot:
    """The snapshot the service answers from; swaps to a newer one when CURRENT changes, without
    a pause: the newer one is loaded beside the one answering."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()          # one query at a time on the embedded connection
        self._loading = threading.Lock()       # one snapshot loaded at a time
        self._loaded: Loaded | None = None
        self._looked = 0.0
        self._loader: threading.Thread | None = None

    # -- which snapshot -------------------------------------------------------------------------
    def _current(self, wait: bool = True) -> Loaded:
        """The snapshot to answer from; with `wait`, waits for the first one to load."""
        if wait and self._loaded is None and self._loader is not None:
            self._loader.join(120)
        loaded = self._loaded
        now = time.monotonic()
        if loaded is not None and now - self._looked < LOOK_EVERY:
            return loaded
        self._looked = now
        path = snapshots.current(self.settings)
        if path is None:
            if loaded is not None:
                return loaded
            raise Unavailable("No snapshot of the warehouse yet: run a command that writes "
                              "(tastemaker ingest, train or weekly generate) on this home")
        if loaded is None:
            if self._loader is not None and self._loader.is_alive():
                raise Unavailable(f"Loading the snapshot {path.name}; ready in a moment")
            self._load(path)                   # the first: nothing else to answer from
            return self._loaded
        if path != loaded.path and (self._loader is None or not self._loader.is_alive()):
            self._load_aside(path)
        return loaded

    def _load_aside(self, path: Path) -> None:
        self._loader = threading.Thread(target=self._load, args=(path,), name="snapshot-loader", daemon=True)
        self._loader.start()

    def _load(self, path: Path) -> None:
        with self._loading:
            if self._loaded is not None and self._loaded.path == path:
                return
            started = time.perf_counter()
            try:
                fresh = Loaded.open(path, self.settings.service.memory_weeks, self.settings)
            except Exception:
                if self._loaded is None:
                    raise
                log.exception("could not open the snapshot %s; still answering from %s", path,
                              self._loaded.path.name)
                return
            with self._lock:
                old, self._loaded = self._loaded, fresh
                if old is not None:
                    old.engine.close()
            log.info("answering from %s (%d weeks, %s rows in memory) after %.1f s", path.name,
                     len(fresh.weeks), f"{sum(m.rows for m in fresh.memory.values()):,}",
                     time.perf_counter() - started)

    def start(self) -> None:
        """Begin loading the current snapshot in the background (the service's start-up)."""
        path = snapshots.current(self.settings)
        if path is not None and self._loaded is None:
            self._load_aside(path)

    def in_memory(self, week: str | None) -> bool:
        """Whether a user's list of `week` (None: the latest) is answered without a query now."""
        loaded = self._loaded
        if loaded is None or time.monotonic() - self._looked >= LOOK_EVERY:
            return False
        return (loaded.weeks[-1] if week is None and loaded.weeks else week) in loaded.memory

    def settle(self, timeout: float = 60) -> None:
        """Look for a newer snapshot now and wait until it answers (for tests and start-up)."""
        self._looked = 0.0
        self._current()
        loader = self._loader
        if loader is not None:
            loader.join(timeout)

    @property
    def name(self) -> str | None:
        return self._loaded.path.name if self._loaded else None

    def provenance(self) -> dict:
        """What every answer carries: the latest model versions and when the snapshot was written."""
        loaded = self._loaded
        return {"models": loaded.models, "last_updated": loaded.published_at} if loaded else {}

    # -- answers --------------------------------------------------------------------------------
    @contextlib.contextmanager
    def engine(self):
        loaded = self._current()
        with self._lock:
            if self._loaded is not loaded:     # swapped while waiting: the newer one
                loaded = self._loaded
            yield loaded.engine

    def weeks(self, wait: bool = True) -> tuple[str, ...]:
        return self._current(wait).weeks

    def user_list(self, user_id: str, week: str | None = None) -> UserWeek:
        """As `queries.user_list`; from memory when the week is held there."""
        loaded = self._current()
        if week is not None:
            week = week_of(parse_week(week))
        memory = loaded.memory.get(week if week is not None else (loaded.weeks or (None,))[-1])
        if memory is None:            # an older week, or none yet (the query says how to make one)
            with self.engine() as engine:
                return queries.user_list(engine, user_id, week)
        idx = loaded.user_index.get(user_id)
        if idx is None:
            raise NotFoundError(f"No user {user_id!r} in the warehouse")
        return memory.user_list(idx, user_id)

    def close(self) -> None:
        with self._lock:
            if self._loaded is not None:
                self._loaded.engine.close()
                self._loaded = None
