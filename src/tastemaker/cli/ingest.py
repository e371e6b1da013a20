"""`tastemaker ingest events|catalog FILE…`"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..ingest import (CATALOG_COLUMNS, EVENT_COLUMNS, IngestReport, ReadOptions, ingest_catalog,
                      ingest_events, parse_mapping)
from . import common

ingest_app = typer.Typer(help="Load listening events and catalogue files into the warehouse.",
                         no_args_is_help=True)

_MAP_HELP = "Column mapping CANONICAL=COLUMN, repeatable (e.g. --map user_id=listener)."


def _options(fmt, delimiter, encoding, no_header, names) -> ReadOptions:
    return ReadOptions(format=fmt, delimiter=delimiter,
                       encoding=encoding, header=not no_header,
                       column_names=[n.strip() for n in names.split(",")] if names else None)


@ingest_app.command("events")
def events_cmd(
    files: List[Path] = typer.Argument(..., help="Files or folders (CSV/TSV, JSON Lines, Parquet; .gz ok)."),
    map_: Optional[List[str]] = typer.Option(None, "--map", help=_MAP_HELP),
    kind: str = typer.Option("play", help="Event kind for files without a kind column."),
    fmt: Optional[str] = typer.Option(None, "--format", help="csv, jsonl or parquet [default: guessed]"),
    delimiter: Optional[str] = typer.Option(None, help="Field delimiter for CSV [default: guessed]"),
    encoding: str = typer.Option("utf-8", help="Text encoding, e.g. latin-1"),
    no_header: bool = typer.Option(False, "--no-header", help="The file has no header line."),
    names: Optional[str] = typer.Option(None, help="Comma-separated column names (with --no-header)."),
    dedupe: bool = typer.Option(True, help="Quarantine timestamped events that repeat earlier ones."),
):
    """Ingest events: play (count and/or ms_played), save, skip, dislike, artist_visit."""
    mapping = parse_mapping(map_, EVENT_COLUMNS)
    with common.engine() as engine:
        report = ingest_events(engine, files, mapping=mapping, default_kind=kind, dedupe=dedupe,
                               params=common.settings().ingest,
                               options=_options(fmt, delimiter, encoding, no_header, names))
    print_report(report)


@ingest_app.command("catalog")
def catalog_cmd(
    files: List[Path] = typer.Argument(..., help="Files or folders (CSV/TSV, JSON Lines, Parquet; .gz ok)."),
    map_: Optional[List[str]] = typer.Option(None, "--map", help=_MAP_HELP),
    fmt: Optional[str] = typer.Option(None, "--format", help="csv, jsonl or parquet [default: guessed]"),
    delimiter: Optional[str] = typer.Option(None, help="Field delimiter for CSV [default: guessed]"),
    encoding: str = typer.Option("utf-8", help="Text encoding, e.g. latin-1"),
    no_header: bool = typer.Option(False, "--no-header", help="The file has no header line."),
    names: Optional[str] = typer.Option(None, help="Comma-separated column names (with --no-header)."),
):
    """Ingest the catalogue: tracks with title, artist, album, duration, release date, style, uri."""
    mapping = parse_mapping(map_, CATALOG_COLUMNS)
    with common.engine() as engine:
        report = ingest_catalog(engine, files, mapping=mapping,
                                options=_options(fmt, delimiter, encoding, no_header, names))
    print_report(report)


@ingest_app.command("spool")
def spool_cmd():
    """Ingest the events posted to the service (HOME/spool), then move them to HOME/spool-done."""
    from ..ingest.spool import ingest_spool

    with common.engine() as engine:
        report = ingest_spool(engine, common.settings())
    if not report.files:
        common.console.print("the spool is empty: nothing posted since the last ingest spool")
        return
    print_report(report)


def print_report(report: IngestReport) -> None:
    """Per file read / accepted / quarantined, then the reasons; exit 1 if a file was rejected."""
    rows = [(f.path, f.status, f.rows_read, f.accepted, f.quarantined) for f in report.files]
    if len(report.files) > 1:
        rows.append(("total", "", report.rows_read, report.accepted, report.quarantined))
    common.console.print(common.table(f"Ingest {report.target}",
                                      ["file", "status", "read", "accepted", "quarantined"], rows))
    if report.reasons:
        common.console.print(common.table("Quarantined rows by reason", ["reason", "rows"],
                                          report.reasons.most_common()))
        common.console.print("Each quarantined row is kept with its file, line and reason "
                             "(table quarantine).")
    for f in report.files:
        if f.message:
            style = "red" if f.status == "rejected" else "yellow"
            common.console.print(f"[{style}]{f.status}:[/] {common.esc(f.message)}", markup=True)
    if report.rejected_files:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(ingest_app, name="ingest")
