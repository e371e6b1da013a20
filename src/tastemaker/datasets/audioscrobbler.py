"""Audioscrobbler 2005 profiles: artists as items, misspelt artist ids resolved to canonical ones.

Files (the public ``profiledata_06-May-2005`` set; 24M play rows in the original):

- ``artist_alias.txt`` (``badid<TAB>goodid``) → the alias map. Chains (a → b → c) are followed to
  their end; cycles, repeated aliases, aliases of themselves and lines without two ids are
  quarantined. The file is recorded (target ``artist_alias``) but its map lives only during the load.
- ``user_artist_data.txt`` (``userid artistid playcount``, one space) → ``play`` events with
  ``track_id`` = ``artist_id`` = the canonical artist id, ``plays`` = playcount. DuckDB rewrites the
  file line for line with each alias replaced by its canonical id (no Python per row), then the
  rewrite is ingested as the original: ``events.line`` and ``quarantine.line`` are lines of the
  original, and a malformed line reaches quarantine verbatim.
- ``artist_data.txt`` (``artistid<TAB>name``; some lines are malformed) → catalogue: one track per
  artist (``title`` = ``artists.name`` = name). Lines of alias ids, and of artists nobody played,
  are blanked in the rewrite (so they are not rows, and every other line keeps its number).
"""

from __future__ import annotations

from pathlib import Path

from ..ingest import FileReport, ReadOptions
from ..warehouse import Warehouse
from . import (DatasetReport, already_ingested, copy_text, folder_and_files, ingest_rewrite, on_lines,
               read_into_table, record_side_file)

NAME = "audioscrobbler"
FILES = ["user_artist_data.txt", "artist_data.txt", "artist_alias.txt"]
_PLAYS = ReadOptions(delimiter=" ", header=False, column_names=["user_id", "artist_id", "count"])
_ARTISTS = ReadOptions(delimiter="\t", header=False, column_names=["artist_id", "name"])
_ALIASES = ReadOptions(delimiter="\t", header=False, column_names=["alias_id", "artist_id"])


def load(wh: Warehouse, path: Path) -> DatasetReport:
    _, files = folder_and_files(path, NAME, FILES)
    report = DatasetReport(NAME, str(files["user_artist_data.txt"].parent))
    report.add("aliases", load_aliases(wh, files["artist_alias.txt"]))
    aliases = wh.scalar("SELECT count(*) FROM audioscrobbler_alias")
    plays, artists = files["user_artist_data.txt"], files["artist_data.txt"]

    def write_plays(tmp: Path) -> None:
        split = "(SELECT line, text, string_split(text, ' ') AS f FROM {lines})"
        join = "LEFT JOIN audioscrobbler_alias a ON len(l.f) = 3 AND a.alias_id = trim(l.f[2])"
        on_lines(wh, plays, lambda lines: copy_text(f"""
            SELECT CASE WHEN a.alias_id IS NULL THEN coalesce(l.text, '')
                        ELSE l.f[1] || ' ' || a.artist_id || ' ' || l.f[3] END
            FROM {split.format(lines=lines)} l {join} ORDER BY l.line""", tmp), report.notes)

    played = report.add("plays", ingest_rewrite(
        wh, plays, "events", write_plays, options=_PLAYS,
        mapping={"user_id": "user_id", "track_id": "artist_id", "artist_id": "artist_id",
                 "count": "count"}))
    if played.status == "rejected":  # the catalogue keeps played artists only: wait for the plays
        report.notes.append("artist_data.txt was not loaded because user_artist_data.txt was rejected.")
        wh.execute("DROP TABLE IF EXISTS audioscrobbler_alias")
        return report
    blanked: list[tuple] = []

    def write_artists(tmp: Path) -> None:
        keyed = "(SELECT line, text, trim(split_part(text, chr(9), 1)) AS id FROM {lines})"
        drop = ("CASE WHEN a.alias_id IS NOT NULL THEN 'alias' "
                "WHEN t.track_id IS NULL AND contains(l.text, chr(9)) THEN 'unplayed' END")
        joins = ("LEFT JOIN audioscrobbler_alias a ON a.alias_id = l.id "
                 "LEFT JOIN tracks t ON t.track_id = l.id")
        on_lines(wh, artists, lambda lines: copy_text(f"""
            SELECT CASE WHEN {drop} IS NULL THEN coalesce(l.text, '') ELSE '' END
            FROM {keyed.format(lines=lines)} l {joins} ORDER BY l.line""", tmp), report.notes)
        blanked.extend(on_lines(wh, artists, lambda lines: f"""
            SELECT count(*) FILTER (WHERE {drop} = 'alias'), count(*) FILTER (WHERE {drop} = 'unplayed')
            FROM {keyed.format(lines=lines)} l {joins}"""))

    report.add("artists", ingest_rewrite(
        wh, artists, "catalog", write_artists, options=_ARTISTS,
        mapping={"track_id": "artist_id", "artist_id": "artist_id", "title": "name",
                 "artist_name": "name", "uri": ""}))
    report.notes.append(f"{aliases:,} aliases resolved: plays of an alias count for its canonical artist.")
    if blanked:
        alias_lines, unplayed = blanked[0]
        report.notes.append(f"artist_data.txt: {alias_lines:,} lines name an alias and {unplayed:,} an "
                            f"artist nobody played; both were left out of the catalogue.")
    wh.execute("DROP TABLE IF EXISTS audioscrobbler_alias")
    return report


def load_aliases(wh: Warehouse, path: Path) -> FileReport:
    """Read ``artist_alias.txt`` into TEMP table ``audioscrobbler_alias(alias_id, artist_id)``,
    chains resolved; record the file and quarantine its bad lines unless already recorded.
    Raises `InputError` if the file cannot be read (the plays must not load with aliases unresolved)."""
    sha, earlier = already_ingested(wh, path, "artist_alias")
    reader = read_into_table(wh, path, _ALIASES, "audioscrobbler_alias_rows")
    wh.execute("""
    CREATE OR REPLACE TEMP TABLE audioscrobbler_alias_staged AS
    SELECT *, CASE
        WHEN bad IS NULL THEN 'missing alias id (first field)'
        WHEN good IS NULL THEN 'missing canonical artist id (second field)'
        WHEN bad = good THEN 'alias of itself: ' || bad
        WHEN rn > 1 THEN 'repeated alias ' || bad || ': line ' || kept_line || ' of this file is kept'
        END AS reason
    FROM (SELECT *, row_number() OVER (PARTITION BY bad ORDER BY line DESC) AS rn,
                 max(line) OVER (PARTITION BY bad) AS kept_line
          FROM (SELECT *, nullif(trim(alias_id), '') AS bad, nullif(trim(artist_id), '') AS good
                FROM audioscrobbler_alias_rows))
    """)
    wh.execute("""CREATE OR REPLACE TEMP TABLE audioscrobbler_alias AS
                  SELECT bad AS alias_id, good AS artist_id FROM audioscrobbler_alias_staged
                  WHERE reason IS NULL""")
    # Follow chains by pointer doubling: after k rounds each alias points 2^k links ahead. Distances
    # to a canonical id along a chain have no gaps, so a round that resolves nothing means that what
    # still points at an alias is on (or leads into) a cycle and has no canonical id to give.
    pending = None
    for _ in range(64):
        left = wh.scalar("""SELECT count(*) FROM audioscrobbler_alias a
                            JOIN audioscrobbler_alias b ON b.alias_id = a.artist_id""")
        if left == 0 or left == pending:
            break
        pending = left
        wh.execute("""CREATE OR REPLACE TEMP TABLE audioscrobbler_alias AS
                      SELECT a.alias_id, coalesce(b.artist_id, a.artist_id) AS artist_id
                      FROM audioscrobbler_alias a
                      LEFT JOIN audioscrobbler_alias b ON b.alias_id = a.artist_id""")
    wh.execute("""UPDATE audioscrobbler_alias_staged
                  SET reason = 'alias cycle: ' || bad || ' never reaches a canonical id'
                  WHERE reason IS NULL AND bad IN (SELECT a.alias_id FROM audioscrobbler_alias a
                                                   JOIN audioscrobbler_alias b ON b.alias_id = a.artist_id)""")
    wh.execute("""DELETE FROM audioscrobbler_alias WHERE alias_id IN
                  (SELECT bad FROM audioscrobbler_alias_staged WHERE reason LIKE 'alias cycle%')""")
    if earlier:
        report = FileReport(str(path), "skipped",
                            message=f"same content already ingested from {earlier} (its aliases still apply)")
    else:
        report = record_side_file(wh, path, sha, "artist_alias", reader,
                                  staged="audioscrobbler_alias_staged")
    for table in ("audioscrobbler_alias_rows", "audioscrobbler_alias_staged"):
        wh.execute(f"DROP TABLE IF EXISTS {table}")
    return report

