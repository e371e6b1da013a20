"""Audioscrobbler 2005 profiles: artists as items, misspelt artist ids resolved to canonical ones.

Files (the public ``profiledata_06-May-2005`` set; 24M play rows in the original):

- ``artist_alias.txt`` (``badid<TAB>goodid``) → the alias map. Chains (a → b → c) are followed to
  their end; cycles, repeated aliases, aliases of themselves and lines without two ids are
  quarantined. The file is recorded (target ``artist_alias``) but its map lives only during the load.
- ``user_artist_data.txt`` (``userid artistid playcount``, one space) → ``play`` events with
  ``track_id`` = ``artist_id`` = the canonical artist id, ``plays`` = playcount. The engine rewrites the
  file line for line with each alias replaced by its canonical id (no Python per row), then the
  rewrite is ingested as the original: ``events.line`` and ``quarantine.line`` are lines of the
  original, and a malformed line reaches quarantine verbatim.
- ``artist_data.txt`` (``artistid<TAB>name``; some lines are malformed) → catalogue: one track per
  artist (``title`` = ``artists.name`` = name). Lines of alias ids, and of artists nobody played,
  are blanked in the rewrite (so they are not rows, and every other line keeps its number).
"""

from __future__ import annotations

from pathlib import Path

from ..engine import Engine
from ..ingest import FileReport, ReadOptions
from ..ingest.ledger import already_ingested, record_side_file, skipped
from . import DatasetReport, folder_and_files, ingest_rewrite, read_table

NAME = "audioscrobbler"
FILES = ["user_artist_data.txt", "artist_data.txt", "artist_alias.txt"]
_PLAYS = ReadOptions(delimiter=" ", header=False, column_names=["user_id", "artist_id", "count"])
_ARTISTS = ReadOptions(delimiter="\t", header=False, column_names=["artist_id", "name"])
_ALIASES = ReadOptions(delimiter="\t", header=False, column_names=["alias_id", "artist_id"])


def load(engine: Engine, path: Path) -> DatasetReport:
    _, files = folder_and_files(path, NAME, FILES)
    report = DatasetReport(NAME, str(files["user_artist_data.txt"].parent))
    try:
        report.add("aliases", load_aliases(engine, files["artist_alias.txt"]))
        aliases = engine.audioscrobbler_alias_count()
        plays, artists = files["user_artist_data.txt"], files["artist_data.txt"]
        played = report.add("plays", ingest_rewrite(
            engine, plays, "events", lambda tmp: engine.rewrite_audioscrobbler_plays(plays, tmp, report.notes),
            options=_PLAYS, mapping={"user_id": "user_id", "track_id": "artist_id", "artist_id": "artist_id",
                                     "count": "count"}))
        if played.status == "rejected":  # the catalogue keeps played artists only: wait for the plays
            report.notes.append("artist_data.txt was not loaded because user_artist_data.txt was rejected.")
            return report
        blanked: list[tuple] = []
        report.add("artists", ingest_rewrite(
            engine, artists, "catalog",
            lambda tmp: blanked.append(engine.rewrite_audioscrobbler_artists(artists, tmp, report.notes)),
            options=_ARTISTS, mapping={"track_id": "artist_id", "artist_id": "artist_id", "title": "name",
                                       "artist_name": "name", "uri": ""}))
        report.notes.append(f"{aliases:,} aliases resolved: plays of an alias count for its canonical artist.")
        if blanked:
            alias_lines, unplayed = blanked[0]
            report.notes.append(f"artist_data.txt: {alias_lines:,} lines name an alias and {unplayed:,} an "
                                f"artist nobody played; both were left out of the catalogue.")
        return report
    finally:
        engine.drop_audioscrobbler_aliases()


def load_aliases(engine: Engine, path: Path) -> FileReport:
    """Stage the alias map of ``artist_alias.txt`` in the engine (chains resolved; see
    ``Engine.stage_audioscrobbler_aliases``); record the file and quarantine its bad lines unless
    already recorded. Raises `InputError` if the file cannot be read (the plays must not load
    with aliases unresolved)."""
    sha, earlier = already_ingested(engine, path, "artist_alias")
    reader, rows = read_table(path, _ALIASES)
    engine.stage_audioscrobbler_aliases(rows)
    if earlier:
        return skipped(path, earlier, " (its aliases still apply)")
    return record_side_file(engine, path, sha, "artist_alias", reader,
                            stage=lambda file_id: engine.record_audioscrobbler_aliases(file_id, reader.columns))
