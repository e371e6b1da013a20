"""The public datasets' own steps (`tastemaker.datasets`): joins, rewrites and alias resolution
that run in SQL, over tables the loaders read with the ingest reader or over a file's lines.

Tables handed in (Arrow) have the file's columns as text and ``line``. Working tables live only
for the load (TEMP) and are dropped by the hook that last needs them.
"""

from __future__ import annotations

import collections
from pathlib import Path

import duckdb
import pyarrow as pa

from ...errors import InputError
from ..base import BatchResult
from . import dialect
from .connection import Connection


def _lines(path: Path, encoding: str = "utf-8") -> str:
    """A relation of every line of a text file as (line, text), blank lines included (text
    NULL), in file order; CR of CRLF endings removed."""
    return (f"(SELECT row_number() OVER () AS line, text FROM read_csv({dialect.literal(path)}, "
            f"columns = {{'text': 'VARCHAR'}}, header = false, delim = chr(0), quote = '', "
            f"escape = '', auto_detect = false, strict_mode = false, encoding = '{encoding}'))")


def _copy_text(query: str, out: Path) -> str:
    """SQL writing the one-column `query` to `out`, one value per line, verbatim (UTF-8)."""
    return f"COPY ({query}) TO {dialect.literal(out)} (FORMAT csv, HEADER false, QUOTE '', ESCAPE '')"


_ALIAS_JOIN = "LEFT JOIN audioscrobbler_alias a ON len(l.f) = 3 AND a.alias_id = trim(l.f[2])"
_ARTIST_KEY = "(SELECT line, text, trim(split_part(text, chr(9), 1)) AS id FROM {lines})"
_ARTIST_DROP = ("CASE WHEN a.alias_id IS NOT NULL THEN 'alias' "
                "WHEN t.track_id IS NULL AND contains(l.text, chr(9)) THEN 'unplayed' END")
_ARTIST_JOINS = ("LEFT JOIN audioscrobbler_alias a ON a.alias_id = l.id "
                 "LEFT JOIN tracks t ON t.track_id = l.id")


class Datasets(Connection):

    def _on_lines(self, source: Path, statement, notes: list[str] | None = None) -> list[tuple]:
        """Run `statement(lines)` over the `_lines` relation of `source` as UTF-8, or as latin-1
        (which decodes any bytes) if it is not, saying so in `notes`."""
        for encoding in ("utf-8", "latin-1"):
            try:
                rows = self.con.execute(statement(_lines(source, encoding))).fetchall()
                if encoding != "utf-8" and notes is not None:
                    notes.append(f"{source.name} is not valid UTF-8: read as latin-1 (check odd names).")
                return rows
            except duckdb.InvalidInputException as exc:
                text = str(exc).lower()
                if encoding == "utf-8" and ("unicode" in text or "utf" in text):
                    continue
                raise InputError(f"{source}: cannot be read as text ({exc})") from exc
        raise AssertionError("unreachable")

    def _staged_side_file(self, file_id: int, staged: str, columns: list[str]) -> BatchResult:
        """Quarantine the rows of `staged` with a reason (the row as read, by line)."""
        self._keep_quarantined(f"SELECT {int(file_id)} AS file_id, s.line, s.reason, {dialect.row_json('s', columns)} AS raw "
                               f"FROM {staged} s WHERE s.reason IS NOT NULL ORDER BY s.line")
        reasons = collections.Counter(dict(self.execute(
            f"SELECT reason, count(*) FROM {staged} WHERE reason IS NOT NULL GROUP BY 1").fetchall()))
        n, ok = self.one(f"SELECT count(*), count(*) FILTER (WHERE reason IS NULL) FROM {staged}")
        return BatchResult(int(n), int(n - ok), reasons)

    # -- Last.fm HetRec: user tags on artists -----------------------------------------------------
    def load_hetrec_tags(self, file_id: int, names: pa.Table, tagged: pa.Table, tagged_columns: list[str],
                         source: str) -> BatchResult:
        """``user_taggedartists.dat`` rows (`tagged`) with the tag names of ``tags.dat``
        (`names`) into ``artist_tags``; rows with an unknown tag or artist, or a bad date, are
        quarantined."""
        with self.registered("hetrec_tag_names", names), self.registered("hetrec_tagged", tagged):
            self.execute("""
            CREATE OR REPLACE TEMP TABLE hetrec_tags_staged AS
            WITH n AS (
                SELECT trim("tagID") AS tag_id, any_value(nullif(trim("tagValue"), '')) AS tag
                FROM hetrec_tag_names GROUP BY 1
            ), r AS (
                SELECT t.*, nullif(trim(t."userID"), '') AS user_id, nullif(trim(t."artistID"), '') AS artist_id,
                       nullif(trim(t."tagID"), '') AS tag_id,
                       TRY_CAST(t.year AS INTEGER) AS y, TRY_CAST(t.month AS INTEGER) AS m,
                       TRY_CAST(t.day AS INTEGER) AS d
                FROM hetrec_tagged t
            ), p AS (
                SELECT r.*, n.tag, a.artist_idx,
                       CASE WHEN y BETWEEN 1 AND 9999 AND m BETWEEN 1 AND 12 AND d BETWEEN 1 AND 31
                            THEN TRY_CAST(printf('%04d-%02d-%02d', y, m, d) AS DATE) END AS tagged_at
                FROM r LEFT JOIN n ON n.tag_id = r.tag_id LEFT JOIN artists a ON a.artist_id = r.artist_id
            )
            SELECT *, CASE
                WHEN user_id IS NULL THEN 'missing userID'
                WHEN artist_id IS NULL THEN 'missing artistID'
                WHEN tag_id IS NULL THEN 'missing tagID'
                WHEN tag IS NULL THEN 'unknown tagID: ' || tag_id || ' is not in tags.dat'
                WHEN artist_idx IS NULL THEN 'unknown artist: ' || artist_id || ' is not in the catalogue'
                WHEN tagged_at IS NULL AND coalesce(nullif(trim(day), ''), nullif(trim(month), ''),
                                                    nullif(trim(year), '')) IS NOT NULL
                    THEN 'bad date ''' || day || '/' || month || '/' || year || ''''
                END AS reason
            FROM p
            """)
        result = self._staged_side_file(file_id, "hetrec_tags_staged", tagged_columns)
        self.execute("""INSERT INTO artist_tags
                        SELECT ?, line, artist_idx, user_id, tag, tagged_at, ? FROM hetrec_tags_staged
                        WHERE reason IS NULL ORDER BY line""", [file_id, source])
        self.execute("DROP TABLE IF EXISTS hetrec_tags_staged")
        return result

    def tag_count(self) -> int:
        return int(self.scalar("SELECT count(*) FROM artist_tags"))

    # -- MSD Taste Profile: song metadata -----------------------------------------------------------
    def msd_metadata_rows(self, table: pa.Table | None, source: Path | None, columns: dict[str, str | None],
                          errors: list[tuple]) -> None:
        """Stage the metadata rows (``msd_meta_rows``: line, song_id, title, album, artist_name,
        year, msd_track_id) of a CSV read into `table` (`columns`: which of its columns holds
        each field, None if none) or of ``unique_tracks.txt`` (`source`, split on ``<SEP>``);
        rows without a song id (or with the wrong number of fields) go to `errors` as
        (line, reason, raw)."""
        if table is not None:
            def col(name: str) -> str:
                c = columns.get(name)
                return f"nullif(trim({dialect.ident(c)}), '')" if c else "CAST(NULL AS VARCHAR)"
            with self.registered("msd_meta_raw", table):
                self.execute(f"""
                CREATE OR REPLACE TEMP TABLE msd_meta_rows AS
                SELECT line, {col('song_id')} AS song_id, {col('title')} AS title, {col('album')} AS album,
                       {col('artist_name')} AS artist_name, {col('year')} AS year,
                       CAST(NULL AS VARCHAR) AS msd_track_id
                FROM msd_meta_raw WHERE {col('song_id')} IS NOT NULL""")
                raw = dialect.row_json("r", [c for c in table.schema.names if c != "line"])
                for line, text in self.execute(f"SELECT line, {raw} FROM msd_meta_raw r WHERE {col('song_id')} "
                                               f"IS NULL ORDER BY line").fetchall():
                    errors.append((int(line), "missing song_id", text))
            return
        self._on_lines(source, lambda lines: f"""
        CREATE OR REPLACE TEMP TABLE msd_meta_lines AS
        SELECT line, text, string_split(text, '<SEP>') AS f FROM {lines} WHERE trim(text) <> ''""")
        self.execute("""
        CREATE OR REPLACE TEMP TABLE msd_meta_rows AS
        SELECT line, nullif(trim(f[2]), '') AS song_id, nullif(trim(f[4]), '') AS title,
               CAST(NULL AS VARCHAR) AS album, nullif(trim(f[3]), '') AS artist_name,
               CAST(NULL AS VARCHAR) AS year, nullif(trim(f[1]), '') AS msd_track_id
        FROM msd_meta_lines WHERE len(f) = 4 AND nullif(trim(f[2]), '') IS NOT NULL""")
        for line, n, text in self.execute("""SELECT line, len(f), text FROM msd_meta_lines
                                             WHERE len(f) <> 4 OR nullif(trim(f[2]), '') IS NULL
                                             ORDER BY line""").fetchall():
            reason = (f"wrong number of fields: expected 4, found {n}" if n != 4 else "missing song_id")
            errors.append((int(line), reason, text))
        self.execute("DROP TABLE msd_meta_lines")

    def write_msd_metadata(self, out: Path, *, with_track_id: bool) -> tuple[int, int, int]:
        """The staged metadata reduced to one row per song (its first line) and to the songs in
        the catalogue, written as Parquet to `out`. Returns (rows, songs, songs in the catalogue)."""
        rows, songs, matched = self.one("""
            SELECT count(*), count(DISTINCT song_id),
                   count(DISTINCT song_id) FILTER (WHERE song_id IN (SELECT track_id FROM tracks))
            FROM msd_meta_rows""")
        msd_track_id = ", arg_min(msd_track_id, line) AS msd_track_id" if with_track_id else ""  # → attrs
        self.execute(f"""
        COPY (
            SELECT song_id AS track_id, arg_min(title, line) AS title, arg_min(album, line) AS album,
                   arg_min(artist_name, line) AS artist_name,
                   arg_min(CASE WHEN regexp_full_match(year, '[12][0-9]{{3}}') THEN year END, line) AS released
                   {msd_track_id}
            FROM msd_meta_rows
            WHERE song_id IN (SELECT track_id FROM tracks)
            GROUP BY song_id ORDER BY min(line)
        ) TO {dialect.literal(out)} (FORMAT parquet)""")
        self.execute("DROP TABLE msd_meta_rows")
        return int(rows), int(songs), int(matched)

    # -- Audioscrobbler: artist aliases -------------------------------------------------------------
    def stage_audioscrobbler_aliases(self, rows: pa.Table) -> None:
        """The alias map (TEMP ``audioscrobbler_alias(alias_id, artist_id)``) from the rows of
        ``artist_alias.txt``, chains followed to their end; the rows with their reasons (missing
        ids, aliases of themselves, repeats, cycles) in ``audioscrobbler_alias_staged``."""
        with self.registered("audioscrobbler_alias_rows", rows):
            self.execute("""
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
        self.execute("""CREATE OR REPLACE TEMP TABLE audioscrobbler_alias AS
                        SELECT bad AS alias_id, good AS artist_id FROM audioscrobbler_alias_staged
                        WHERE reason IS NULL""")
        # Follow chains by pointer doubling: after k rounds each alias points 2^k links ahead.
        # Distances to a canonical id along a chain have no gaps, so a round that resolves nothing
        # means that what still points at an alias is on (or leads into) a cycle and has no
        # canonical id to give.
        pending = None
        for _ in range(64):
            left = self.scalar("""SELECT count(*) FROM audioscrobbler_alias a
                                  JOIN audioscrobbler_alias b ON b.alias_id = a.artist_id""")
            if left == 0 or left == pending:
                break
            pending = left
            self.execute("""CREATE OR REPLACE TEMP TABLE audioscrobbler_alias AS
                            SELECT a.alias_id, coalesce(b.artist_id, a.artist_id) AS artist_id
                            FROM audioscrobbler_alias a
                            LEFT JOIN audioscrobbler_alias b ON b.alias_id = a.artist_id""")
        self.execute("""UPDATE audioscrobbler_alias_staged
                        SET reason = 'alias cycle: ' || bad || ' never reaches a canonical id'
                        WHERE reason IS NULL AND bad IN (SELECT a.alias_id FROM audioscrobbler_alias a
                                                         JOIN audioscrobbler_alias b ON b.alias_id = a.artist_id)""")
        self.execute("""DELETE FROM audioscrobbler_alias WHERE alias_id IN
                        (SELECT bad FROM audioscrobbler_alias_staged WHERE reason LIKE 'alias cycle%')""")

    def record_audioscrobbler_aliases(self, file_id: int, columns: list[str]) -> BatchResult:
        """Quarantine the staged alias rows that have a reason."""
        return self._staged_side_file(file_id, "audioscrobbler_alias_staged", columns)

    def audioscrobbler_alias_count(self) -> int:
        return int(self.scalar("SELECT count(*) FROM audioscrobbler_alias"))

    def rewrite_audioscrobbler_plays(self, source: Path, out: Path, notes: list[str]) -> None:
        """``user_artist_data.txt`` line for line into `out`, each alias replaced by its artist."""
        split = "(SELECT line, text, string_split(text, ' ') AS f FROM {lines})"
        self._on_lines(source, lambda lines: _copy_text(f"""
            SELECT CASE WHEN a.alias_id IS NULL THEN coalesce(l.text, '')
                        ELSE l.f[1] || ' ' || a.artist_id || ' ' || l.f[3] END
            FROM {split.format(lines=lines)} l {_ALIAS_JOIN} ORDER BY l.line""", out), notes)

    def rewrite_audioscrobbler_artists(self, source: Path, out: Path, notes: list[str]) -> tuple[int, int]:
        """``artist_data.txt`` line for line into `out`, lines of aliases and of artists nobody
        played blanked. Returns how many lines of each were blanked."""
        self._on_lines(source, lambda lines: _copy_text(f"""
            SELECT CASE WHEN {_ARTIST_DROP} IS NULL THEN coalesce(l.text, '') ELSE '' END
            FROM {_ARTIST_KEY.format(lines=lines)} l {_ARTIST_JOINS} ORDER BY l.line""", out), notes)
        counts = self._on_lines(source, lambda lines: f"""
            SELECT count(*) FILTER (WHERE {_ARTIST_DROP} = 'alias'), count(*) FILTER (WHERE {_ARTIST_DROP} = 'unplayed')
            FROM {_ARTIST_KEY.format(lines=lines)} l {_ARTIST_JOINS}""")
        return int(counts[0][0]), int(counts[0][1])

    def drop_audioscrobbler_aliases(self) -> None:
        self.execute("DROP TABLE IF EXISTS audioscrobbler_alias")
        self.execute("DROP TABLE IF EXISTS audioscrobbler_alias_staged")
