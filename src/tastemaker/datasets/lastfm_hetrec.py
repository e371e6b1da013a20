"""Last.fm HetRec 2011 (``hetrec2011-lastfm-2k``): artists as items, tags kept for the text model.

Data flow, in load order (every file straight from the dataset's folder, nothing rewritten):

1. ``artists.dat`` (id, name, url, pictureURL; UTF-8) → catalogue: one track per artist with
   ``track_id`` = ``artist_id`` = id and ``title`` = ``artists.name`` = name; url (the artist's
   Last.fm page, not audio, so not ``uri``) and pictureURL land in ``tracks.attrs``.
2. ``user_artists.dat`` (userID, artistID, weight) → ``play`` events with ``plays`` = weight, no
   timestamp (the dataset has none).
3. ``tags.dat`` (tagID, tagValue; **latin-1**) → the tag names, read for step 4.
4. ``user_taggedartists.dat`` (userID, artistID, tagID, day, month, year) → ``artist_tags``
   (artist, tagger, tag text, date, source ``lastfm-hetrec``). A tag on an artist that is not in
   ``artists.dat`` (1,538 assignments of 390 artists in the published files), or with a tagID
   missing from ``tags.dat``, is quarantined with its line.

``user_friends.dat`` (the social graph) is not loaded.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..ingest import FileReport, ReadOptions, ingest_catalog, ingest_events
from ..warehouse import Warehouse
from . import (DatasetReport, already_ingested, folder_and_files, read_into_table, record_side_file,
               rejected, skipped)

NAME = "lastfm-hetrec"
_TSV = ReadOptions(delimiter="\t")


def load(wh: Warehouse, path: Path) -> DatasetReport:
    folder, files = folder_and_files(path, NAME, ["user_artists.dat", "artists.dat"])
    tags, tagged = folder / "tags.dat", folder / "user_taggedartists.dat"
    if tagged.is_file() and not tags.is_file():
        raise InputError(f"{folder}: user_taggedartists.dat needs tags.dat (the tag names); it is missing.")
    report = DatasetReport(NAME, str(folder))
    report.add("artists", ingest_catalog(
        wh, [files["artists.dat"]], options=_TSV,
        mapping={"track_id": "id", "artist_id": "id", "title": "name", "artist_name": "name",
                 "uri": ""}).files[0])  # url is the artist's Last.fm page, not audio: to attrs
    report.add("plays", ingest_events(
        wh, [files["user_artists.dat"]], options=_TSV,
        mapping={"user_id": "userID", "track_id": "artistID", "artist_id": "artistID",
                 "count": "weight"}).files[0])
    if tagged.is_file():
        report.add("tags", load_tags(wh, tags, tagged, report.notes))
    else:
        report.notes.append("No user_taggedartists.dat: no tags loaded (the text model will lack them).")
    return report


def load_tags(wh: Warehouse, tags: Path, tagged: Path, notes: list[str]) -> FileReport:
    """``user_taggedartists.dat`` into ``artist_tags``, tag names from ``tags.dat`` (latin-1)."""
    sha, earlier = already_ingested(wh, tagged, "artist_tags")
    if earlier:
        return skipped(tagged, earlier)
    try:
        names = read_into_table(wh, tags, ReadOptions(delimiter="\t", encoding="latin-1"), "hetrec_tag_names")
        if names.bad_rows:
            first = names.bad_rows[0]
            notes.append(f"tags.dat: {len(names.bad_rows):,} malformed lines (first: line {first.line}, "
                         f"{first.reason}); tags with their ids are quarantined as unknown tagID.")
        missing = {"tagID", "tagValue"} - set(names.columns)
        if missing:
            raise InputError(f"{tags}: expected columns tagID and tagValue; found {names.columns}")
        reader = read_into_table(wh, tagged, _TSV, "hetrec_tagged")
        missing = {"userID", "artistID", "tagID", "day", "month", "year"} - set(reader.columns)
        if missing:
            raise InputError(f"{tagged}: missing columns {sorted(missing)}; found {reader.columns}")
    except InputError as exc:
        return rejected(wh, tagged, sha, "artist_tags", exc)
    wh.execute("""
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

    def insert(file_id: int) -> None:
        wh.execute("""INSERT INTO artist_tags
                      SELECT ?, line, artist_idx, user_id, tag, tagged_at, ? FROM hetrec_tags_staged
                      WHERE reason IS NULL ORDER BY line""", [file_id, NAME])

    report = record_side_file(wh, tagged, sha, "artist_tags", reader, staged="hetrec_tags_staged",
                              insert=insert)
    for table in ("hetrec_tag_names", "hetrec_tagged", "hetrec_tags_staged"):
        wh.execute(f"DROP TABLE IF EXISTS {table}")
    return report
