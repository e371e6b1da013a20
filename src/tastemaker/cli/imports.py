"""`tastemaker import SOURCE FILE…`: listening history from other services' exports."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from . import common
from .ingest import print_report

SOURCES_HELP = ("spotify (Streaming_History_Audio_*.json, endsong_*.json), listenbrainz (the user "
                "export zip, or listens as JSON Lines), lastfm (user.getRecentTracks JSON pages, or a "
                "CSV export: artist, album, title, date), scrobbler-log (.scrobbler.log), navidrome (its "
                "SQLite database, read-only: catalogue and every user's history), folder (a folder of "
                "audio files: the catalogue from their tags), radio (a playout log: date-time, artist, song, release)")


def import_cmd(
    source: str = typer.Argument(..., help=SOURCES_HELP),
    files: List[Path] = typer.Argument(..., help="The export's files (for folder: folders)."),
    user: Optional[str] = typer.Option(None, help="The listener to credit when the export names none."),
    add_tracks: Optional[bool] = typer.Option(
        None, "--add-tracks/--match-only",
        help="Add the tracks the catalogue lacks, or only match [default: add when the catalogue is empty]"),
    columns: Optional[str] = typer.Option(
        None, help="A headerless table's columns in order, e.g. date,artist,album,title (lastfm CSV, radio; "
                   "names: artist, title, album, date, time, skip)"),
):
    """Import listening history: every record matched to a catalogue track (MusicBrainz id, ISRC,
    then artist and title with the duration) and loaded by the rules of ingest; re-import adds
    nothing."""
    from ..imports import import_files

    with common.engine() as engine:
        report = import_files(engine, common.settings(), source, files, user=user, add_tracks=add_tracks,
                              columns=[c.strip() for c in columns.split(",")] if columns else None)
    total = report.records or 1
    rows = [(rule, n, f"{100 * n / total:.1f} %") for rule, n in report.rules.most_common()]
    common.console.print(common.table(f"Import {source}: {report.records:,} records, how each went",
                                      ["rule", "records", "share"], rows))
    if report.catalog:
        print_report(report.catalog)
    print_report(report.events)


def register(app: typer.Typer) -> None:
    app.command("import")(import_cmd)
