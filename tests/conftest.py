"""Shared fixtures: a tiny world whose right answers are obvious, and the real-data folder."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

os.environ.setdefault("TASTEMAKER_QUIET", "1")

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_data(name: str) -> Path:
    """A dataset folder of ../shared/data, or a skip that says why."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"real dataset {name} not found at {path} (../shared/data is absent)")
    return path


@pytest.fixture
def tiny_world(tmp_path) -> dict:
    """Three taste groups of users who each play only tracks of their group (tracks i with
    i % 3 == group), 5 tracks per artist, timestamps in November 2026, some users with 1 track."""
    return make_tiny_world(tmp_path)


def make_tiny_world(tmp_path: Path) -> dict:
    """The files of `tiny_world` under `tmp_path` (for fixtures of a wider scope)."""
    rng = np.random.default_rng(7)
    n_users, n_tracks = 240, 150
    group = rng.integers(0, 3, n_users)
    rows = []
    for u in range(n_users):
        pool = np.flatnonzero(np.arange(n_tracks) % 3 == group[u])
        n = 1 if u % 40 == 0 else int(rng.integers(4, 25))
        for t in rng.choice(pool, size=n, replace=False):
            count = int(rng.integers(1, 15))
            day = int(rng.integers(1, 22))
            rows.append((f"u{u}", f"t{t}", f"a{t // 5}", "play", f"2026-11-{day:02d}T10:00:00Z", count,
                         count * 180_000))
    events = pd.DataFrame(rows, columns=["user_id", "track_id", "artist_id", "kind", "ts", "count",
                                         "ms_played"])
    catalog = pd.DataFrame({
        "track_id": [f"t{i}" for i in range(n_tracks)],
        "title": [f"Song {i}" for i in range(n_tracks)],
        "artist_id": [f"a{i // 5}" for i in range(n_tracks)],
        "artist_name": [f"Artist {i // 5}" for i in range(n_tracks)],
        "duration_ms": 200_000,
        "uri": [f"audio/t{i}.wav" for i in range(n_tracks)],
    })
    events_path, catalog_path = tmp_path / "events.csv.gz", tmp_path / "catalog.csv"
    events.to_csv(events_path, index=False)
    catalog.to_csv(catalog_path, index=False)
    return {"events": events_path, "catalog": catalog_path, "group": group, "frame": events,
            "home": tmp_path / "home"}


def home_with_weeks(world: dict, weeks=("2026-W48",), *, publish: bool = False):
    """The world's catalogue and events ingested, the collaborative model trained and `weeks`
    written, in its home; (settings, the trained model's result). With `publish`, a snapshot."""
    from tastemaker import snapshots
    from tastemaker.config import load_settings
    from tastemaker.engine import DuckDBEngine
    from tastemaker.ingest import ingest_catalog, ingest_events
    from tastemaker.train import train_collaborative
    from tastemaker.weekly.generate import generate_week

    settings = load_settings(world["home"])
    with DuckDBEngine.open(settings.warehouse_path) as engine:
        ingest_catalog(engine, [world["catalog"]])
        ingest_events(engine, [world["events"]])
        trained = train_collaborative(engine, settings)
        for week in weeks:
            generate_week(engine, settings, week=week)
        if publish:
            snapshots.publish(engine, settings)
    return settings, trained
