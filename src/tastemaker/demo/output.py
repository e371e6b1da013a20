"""Writing a demo world to the files `tastemaker ingest` reads, plus its ground truth.

Files in ``out_dir``:

- ``catalog.csv``: track_id, title, artist_id, artist_name, album, duration_ms, released (ISO
  date), style, uri (``audio/<track_id>.wav``), then the audio parameters tempo, key, mode,
  time_signature, loudness, density, timbre (kept by ingest as JSON attributes).
- ``events.csv.gz`` (gzip CSV, ts as ``2026-11-16T08:12:33Z``, empty fields for unknown values)
  or ``events-00000.parquet``, ``events-00001.parquet``, … one per chunk of users (ts as a
  naive timestamp[ms] in UTC, count int32, ms_played int64): user_id, track_id, artist_id,
  kind, ts, count, ms_played. Events are in time order within each chunk of users (so within
  each Parquet file, and within the CSV when the world has a single chunk).
- ground truth: ``styles.json`` (styles with audio parameters and descriptors, and their
  similarity), ``users.parquet`` (tastes), ``artists.parquet``, ``tracks.parquet`` (scene,
  quality, first playable week, cold), ``discoveries.parquet``; and ``world.json`` (parameters,
  seed, sizes, the window and its test week, the files).
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from .. import __version__
from ..errors import check_param
from .events import iter_chunks
from .listening import KINDS
from .styles import TIMBRES
from .model import DAY, PAST_WEEKS, World

EVENT_COLUMNS = ("user_id", "track_id", "artist_id", "kind", "ts", "count", "ms_played")
CATALOG_COLUMNS = ("track_id", "title", "artist_id", "artist_name", "album", "duration_ms",
                   "released", "style", "uri", "tempo", "key", "mode", "time_signature",
                   "loudness", "density", "timbre")
TRUTH_TRACK_COLUMNS = ("track_id", "artist_id", "style", "scene", "quality", "available_week",
                       "cold")


def iso_utc(ts: pa.Array) -> pa.Array:
    """Format a timestamp[ms] array (whole seconds, UTC) as ``YYYY-MM-DDTHH:MM:SSZ`` strings."""
    sec = ts.cast(pa.int64()).to_numpy(zero_copy_only=False) // 1000
    n = len(sec)
    buf = np.zeros((n, 20), dtype=np.uint8)
    if n:
        days, tod = np.divmod(sec, DAY)
        d0 = days.min()
        dates = np.datetime_as_string(np.arange(d0, days.max() + 1).astype("datetime64[D]"))
        buf[:, :10] = dates.astype("S10").view(np.uint8).reshape(-1, 10)[days - d0]
        for col, value in ((10, "T"), (13, ":"), (16, ":"), (19, "Z")):
            buf[:, col] = ord(value)
        for col, value in ((11, tod // 3600), (14, tod // 60 % 60), (17, tod % 60)):
            buf[:, col], buf[:, col + 1] = 48 + value // 10, 48 + value % 10
    offsets = np.arange(0, 20 * n + 1, 20, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets),
                                                  pa.py_buffer(buf.ravel())])


def _json(obj) -> str:
    """Indented JSON with lists of plain values kept on one line."""
    text = json.dumps(obj, indent=1)
    return re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]",
                  text) + "\n"


def write_events_chunks(world: World, out_dir, *, events_format: str = "parquet") -> dict:
    """Generate (or take, when materialised) the world's listening chunk by chunk and write it:
    events as one gzip CSV or one Parquet file per chunk, ``users.parquet`` and
    ``discoveries.parquet``. Memory stays bounded by ``chunk_users``. Returns a summary with
    the event files and counts."""
    check_param("write_events_chunks", "events_format", events_format, choices={"csv", "parquet"})
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for stale in [out / "events.csv.gz", *out.glob("events-[0-9][0-9][0-9][0-9][0-9].parquet")]:
        stale.unlink(missing_ok=True)
    chunks = world.chunks if world.chunks is not None else iter_chunks(world)
    writers: dict[str, pq.ParquetWriter] = {}
    files, n_events, n_users, n_disc = [], 0, 0, 0
    by_kind = np.zeros(len(KINDS), dtype=np.int64)
    csv_out = None
    try:
        if events_format == "csv":
            files.append("events.csv.gz")
            csv_out = gzip.GzipFile(filename="", mode="wb", compresslevel=6, mtime=0,
                                    fileobj=open(out / "events.csv.gz", "wb"))
            csv_out.write((",".join(EVENT_COLUMNS) + "\n").encode())
        for chunk in chunks:
            for name in ("users", "discoveries"):
                table = getattr(chunk, name)
                if name not in writers:
                    writers[name] = pq.ParquetWriter(out / f"{name}.parquet", table.schema)
                writers[name].write_table(table)
            ev = chunk.events
            if events_format == "csv":
                ev = ev.set_column(ev.schema.get_field_index("ts"), "ts", iso_utc(ev["ts"]))
                pcsv.write_csv(ev, csv_out, pcsv.WriteOptions(include_header=False,
                                                              quoting_style="none"))
            else:
                files.append(f"events-{chunk.index:05d}.parquet")
                pq.write_table(ev, out / files[-1])
            kinds = ev["kind"].to_numpy(zero_copy_only=False)
            by_kind += [int((kinds == k).sum()) for k in KINDS]
            n_events += ev.num_rows
            n_users += chunk.users.num_rows
            n_disc += chunk.discoveries.num_rows
    finally:
        for w in writers.values():
            w.close()
        if csv_out is not None:
            raw = csv_out.fileobj
            csv_out.close()
            raw.close()
    return {"event_files": files, "events": n_events, "users": n_users, "discoveries": n_disc,
            "events_by_kind": dict(zip(KINDS, by_kind.tolist()))}


def write_world(world: World, out_dir, *, events_format: str = "csv") -> dict:
    """Write every file of the world to ``out_dir`` (see the module docstring) and return the
    summary that is also written to ``world.json``. Same world, same bytes."""
    check_param("write_world", "events_format", events_format, choices={"csv", "parquet"})
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    p = world.params
    catalog = world.tracks.loc[:, list(CATALOG_COLUMNS)].copy()
    catalog["released"] = catalog["released"].dt.strftime("%Y-%m-%d")
    catalog.to_csv(out / "catalog.csv", index=False, lineterminator="\n")
    pq.write_table(pa.Table.from_pandas(world.tracks.loc[:, list(TRUTH_TRACK_COLUMNS)],
                                        preserve_index=False), out / "tracks.parquet")
    pq.write_table(pa.Table.from_pandas(world.artists, preserve_index=False),
                   out / "artists.parquet")
    styles = {"timbres": list(TIMBRES), "scenes": p.scenes, "similarity_width": 0.5,
              "styles": [s.to_dict() for s in world.styles],
              "similarity": np.round(world.similarity, 4).tolist()}
    (out / "styles.json").write_text(_json(styles))
    summary = write_events_chunks(world, out, events_format=events_format)
    iso = p.test_week_start.isocalendar()
    info = {
        "generator": "tastemaker.demo", "tastemaker_version": __version__,
        "params": p.to_dict(), "activity_scale": round(world.activity_scale, 6),
        "replay_scale": round(world.replay_scale, 6),
        "start": p.start.isoformat(), "end": p.end.isoformat(),
        "test_week_start": p.test_week_start.isoformat(),
        "test_week": f"{iso.year}-W{iso.week:02d}", "unlogged_past_weeks": PAST_WEEKS,
        "sizes": {"users": p.n_users, "artists": p.n_artists, "tracks": p.n_tracks,
                  "cold_tracks": int(world.tracks["cold"].sum()),
                  "fresh_tracks": int(((world.tracks["available_week"] > 0)
                                       & ~world.tracks["cold"]).sum()),
                  "events": summary["events"], "discoveries": summary["discoveries"]},
        "events_by_kind": summary["events_by_kind"],
        "files": {"catalog": "catalog.csv", "events": summary["event_files"],
                  "styles": "styles.json", "users": "users.parquet",
                  "artists": "artists.parquet", "tracks": "tracks.parquet",
                  "discoveries": "discoveries.parquet"},
    }
    (out / "world.json").write_text(_json(info))
    return info
