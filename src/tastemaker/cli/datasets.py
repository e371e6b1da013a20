"""`tastemaker datasets list|load`: public listening datasets into the warehouse."""

from __future__ import annotations

from pathlib import Path

import typer

from ..datasets import DatasetReport, available, load_dataset
from . import common

datasets_app = typer.Typer(help="Load public listening datasets (Last.fm HetRec, MSD Taste Profile, "
                                "Audioscrobbler).", no_args_is_help=True)


@datasets_app.command("list")
def list_cmd():
    """The datasets tastemaker can load, what PATH must hold, and their terms of use."""
    for d in available():
        common.console.print(f"[bold]{d.name}[/]  {d.description}\n"
                             f"  PATH:    {common.esc(d.expects)}\n  licence: {d.licence}\n", highlight=False, markup=True)
    common.console.print("Load one with: tastemaker datasets load NAME PATH. Check the licence first: "
                         "none of these allows commercial use.")


@datasets_app.command("load")
def load_cmd(
    name: str = typer.Argument(..., help="Dataset name (see `tastemaker datasets list`)."),
    path: Path = typer.Argument(..., help="The dataset's folder (or its main file)."),
):
    """Load a dataset: every row validated as in `tastemaker ingest`; loading twice adds nothing."""
    with common.engine() as engine:
        report = load_dataset(engine, name, path)
        counts = engine.table_counts(("users", "artists", "tracks", "events", "artist_tags"))
    print_report(report, counts)


def print_report(report: DatasetReport, counts: dict[str, int]) -> None:
    """Per file role, status, read / accepted / quarantined; the reasons; notes; the warehouse after.
    Exit 1 if a file was rejected."""
    rows = [(f.role, Path(f.report.path).name, f.report.status, f.report.rows_read, f.report.accepted,
             f.report.quarantined) for f in report.files]
    rows.append(("total", "", "", report.rows_read, report.accepted, report.quarantined))
    common.console.print(common.table(f"{report.dataset} from {report.path}",
                                      ["part", "file", "status", "read", "accepted", "quarantined"], rows))
    if report.reasons:
        common.console.print(common.table("Quarantined rows by reason", ["reason", "rows"],
                                          report.reasons.most_common()))
        common.console.print("Each quarantined row is kept with its file, line and reason (table quarantine).")
    for f in report.files:
        if f.report.message:
            style = "red" if f.report.status == "rejected" else "yellow"
            common.console.print(f"[{style}]{f.report.status}:[/] {common.esc(Path(f.report.path).name)}: "
                                 f"{common.esc(f.report.message)}", markup=True)
    for note in report.notes:
        common.console.print(f"note: {note}")
    common.console.print("Warehouse now: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    if report.rejected_files:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(datasets_app, name="datasets")
