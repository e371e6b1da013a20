"""`tastemaker weekly generate|export|show|report`"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import ParameterError
from ..queries import feedback_report, latest_week, user_list
from ..weekly.export import FORMATS, export_week
from ..weekly.weeks import parse_week, week_of
from . import common

weekly_app = typer.Typer(help="This week's discovery playlist for every user.", no_args_is_help=True)


@weekly_app.command("generate")
def generate_cmd(
    week: Optional[str] = typer.Option(None, help="ISO week, e.g. 2026-W48 [default: this week]"),
    model_version: Optional[str] = typer.Option(None, help="Collaborative model version [default: latest]"),
    ranking: Optional[str] = typer.Option(None, help="auto, learned, fixed or collaborative [config: blend.mode]"),
    owned_only: Optional[bool] = typer.Option(
        None, "--owned-only/--any-track",
        help="Only tracks with a file (uri), for a self-hosted server [config: weekly.owned_only]"),
):
    """Write 30 never-played tracks for every user from the three models (atomic; a re-run resumes)."""
    from ..weekly.generate import generate_week   # every model comes with it: only when a week is written

    settings = common.settings()
    if owned_only is not None:
        settings = dataclasses.replace(settings, weekly=dataclasses.replace(settings.weekly, owned_only=owned_only))
    with common.engine() as engine:
        r = generate_week(engine, settings, week=week, model_version=model_version, mode=ranking)
    common.console.print(
        f"week [bold]{r.week}[/]: {r.users:,} users ({r.collaborative_users:,} with a collaborative vector, "
        f"{r.fallback_users:,} with little history), {r.rows:,} tracks written in {r.seconds:.1f} s"
        + (f" on {r.ran_on}" if r.ran_on else "") + ", "
        f"{r.ranking} ranking, models " + ", ".join(f"{k} {v}" for k, v in r.versions.items()) + " (by source: "
        + ", ".join(f"{k} {v:,}" for k, v in r.by_source.items()) + ")"
        + (f"; resumed {r.resumed_users:,} users from an interrupted run" if r.resumed_users else "")
        + (f"; [yellow]{r.short_lists:,} lists shorter than {settings.weekly.size}[/]" if r.short_lists else ""),
        markup=True)


@weekly_app.command("export")
def export_cmd(
    week: Optional[str] = typer.Option(None, help="ISO week [default: the latest generated]"),
    fmt: str = typer.Option("json", "--format", help=f"One of {', '.join(FORMATS)}"),
    out: Optional[str] = typer.Option(None, help="File or folder [default: HOME/exports]; on the Spark engine, "
                                                 "Parquet goes to any path or URI Spark reaches (hdfs://, s3a://)"),
    user: Optional[List[str]] = typer.Option(None, help="Only these users (repeatable)"),
    relative_to: Optional[Path] = typer.Option(None, help="A music folder: M3U paths under it written relative to it"),
):
    """Write a week as JSON, CSV, Parquet, M3U, XSPF or JSPF (ListenBrainz's playlist format)."""
    if fmt not in FORMATS:
        raise ParameterError(f"The export format must be one of {', '.join(FORMATS)}. Got {fmt!r} instead.")
    settings = common.settings()
    with common.engine(read_only=True) as engine:
        week = latest_week(engine) if week is None else week_of(parse_week(week))
        if fmt == "parquet" and settings.engine.kind == "spark":
            from ..engine.spark.export import write_parquet
            from ..weekly.export import parquet_destination, row_batches
            path = write_parquet(settings, row_batches(engine, week, user),
                                 parquet_destination(out or str(settings.exports_dir), week))
        else:
            path = export_week(engine, week, fmt, Path(out) if out else settings.exports_dir, users=user,
                               relative_to=relative_to)
    common.console.print(f"week {week} exported as {fmt}: {path}")


@weekly_app.command("show")
def show_cmd(
    user: str = typer.Argument(..., help="user_id"),
    week: Optional[str] = typer.Option(None, help="ISO week [default: the latest generated]"),
):
    """Print one user's list with the reason for each track."""
    with common.engine(read_only=True) as engine:
        found = user_list(engine, user, week)
    if not found.tracks:
        common.console.print(f"[yellow]no list for user {common.esc(repr(user))} in {found.week}[/]", markup=True)
        raise typer.Exit(1)
    common.console.print(common.table(
        f"{found.week} for {user}", ["#", "artist", "title", "source", "reason"],
        [(t.position, t.artist or "", t.title or t.track_id, t.source, t.reason) for t in found.tracks]))


@weekly_app.command("report")
def report_cmd(
    n_weeks: Optional[int] = typer.Option(None, "--weeks", min=1, help="Only the N latest weeks [default: all]"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
):
    """How the lists were received: delivered tracks played, saved and skipped that week, by source."""
    settings = common.settings()
    with common.engine(read_only=True) as engine:
        report = feedback_report(engine, settings, weeks=n_weeks)
    found = report.weeks
    if as_json:
        print(json.dumps({"min_play_ms": report.min_play_ms, "weeks": found, "notes": report.notes}, indent=2))
        return

    def cells(r):
        return [r["users"], r["tracks"]] + [f"{r[k]:,} ({r[rate]:.1%})" for k, rate in (
            ("played", "play_rate"), ("saved", "save_rate"), ("skipped", "skip_rate"))]

    common.console.print(common.table(
        "Delivered tracks played, saved and skipped that week, by source",
        ["week", "users", "tracks", "played", "saved", "skipped"],
        [row for r in found for row in [(r["week"], *cells(r))]
         + [(f"  {s}", *cells(c)) for s, c in r["by_source"].items()]]))
    for r in found:
        common.console.print(f"{r['week']}: {r['listeners']:,} of {r['users']:,} users played at least "
                             f"one of their tracks")
    for line in report.notes:
        common.console.print(f"[yellow]note[/]: {common.esc(line)}", markup=True)


def register(app: typer.Typer) -> None:
    app.add_typer(weekly_app, name="weekly")
