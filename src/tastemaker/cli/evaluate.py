"""`tastemaker evaluate`: every baseline and our ALS side by side on one split of the warehouse.

Reads the warehouse (read-only) for the split, searches each model's parameters on a validation
split cut from train, refits on the full train, prints the Markdown table, writes the JSON
document on request and records the run in the warehouse's ``runs`` table.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer

from ..errors import TastemakerError
from ..runs import record_run
from . import common


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate)


def evaluate(
    k: int = typer.Option(30, "--k", help="Length of each list (the playlist size)."),
    json_path: Path = typer.Option(None, "--json", help="Also write the full result as JSON here."),
    split: str = typer.Option("auto", "--split",
                              help="auto (time when events have timestamps), time or holdout."),
    seed: int = typer.Option(42, "--seed", help="Seed of the hold-out split and of the models."),
    models: str = typer.Option("popularity,itemknn,bpr,als", "--models",
                               help="Comma-separated models to compare: popularity, itemknn, ease, "
                                    "rp3beta, bpr, als."),
    search: bool = typer.Option(True, "--search/--no-search",
                                help="Choose parameters on a validation split (else as configured)."),
    grid: str = typer.Option("small", "--grid", help="Search grid: small (minutes) or large."),
    cold: str = typer.Option(None, "--cold", help="Cold-start evaluation of a content model instead "
                             "(audio): 20% of tracks held out with all their plays."),
    blend: bool = typer.Option(False, "--blend", help="The weekly blend's ablation instead: "
                               "collaborative, text, audio, their fixed blends and the learned ranker "
                               "on the last full week."),
    weeks: int = typer.Option(1, "--weeks", help="With --blend: also evaluate on the weeks before the "
                              "last (each with its own models, weights and ranker) and pool them.",
                              min=1, max=26),
) -> None:
    """Compare popularity, item-kNN, BPR and ALS at K on a time split or a hold-out."""
    if cold is not None:
        return _cold(cold, k=k, seed=seed, json_path=json_path)
    if blend:
        return _blend(k=k, json_path=json_path, weeks=weeks)
    from ..errors import InputError, NotFoundError, check_param
    from ..evaluate import compare, validation_split, warehouse_split
    from ..evaluate.report import markdown, write_json
    from ..evaluate.search import GRID_SIZES
    from ..evaluate.splits import SPLIT_KINDS

    check_param("evaluate", "--split", split, choices=set(SPLIT_KINDS))
    check_param("evaluate", "--grid", grid, choices=set(GRID_SIZES))
    names = [m.strip() for m in models.split(",") if m.strip()]
    settings = common.settings()
    started = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    console = common.console

    with common.engine(read_only=True) as engine:
        with console.status("Cutting the split"):
            the_split = warehouse_split(engine, settings.signals, kind=split, seed=seed)
        if not len(the_split.users):
            raise NotFoundError(f"No user has test items in the {the_split.kind} split: ingest more "
                                f"events (or try --split holdout)")
        validation = None
        if search:
            try:
                validation = validation_split(the_split, engine=engine, weights=settings.signals)
            except InputError as exc:
                console.print(f"[yellow]No parameter search: {common.esc(str(exc))}[/]", markup=True)

    als = settings.als
    comp = compare(the_split, weights=settings.signals, models=names, k=k, seed=seed,
                   validation=validation, size=grid, show_progress=True,
                   defaults={"als": {"factors": als.factors, "regularization": als.regularization,
                                     "iterations": als.iterations}})
    console.print(markdown(comp), markup=False, highlight=False, soft_wrap=True)

    run_id = f"evaluate-{started:%Y%m%dT%H%M%S%f}"
    try:
        _record_run(run_id, started, comp)
    except TastemakerError as exc:   # a busy warehouse must not lose the result
        console.print(f"[yellow]The run was not recorded in the warehouse: {common.esc(str(exc))}[/]", markup=True)
    if json_path is not None:
        path = write_json(comp, json_path, extra={"run_id": run_id, "home": str(settings.home),
                                                  "grid": grid if validation else None})
        console.print(f"JSON written to {path}")


def _record_run(run_id: str, started: dt.datetime, comp) -> None:
    """One row in ``runs``: the split, and each model's parameters and metrics."""
    from ..evaluate.report import json_ready

    summary = {"k": comp.k, "seed": comp.seed, "split": comp.split,
               "models": {r.name: {"params": r.params, "metrics": r.metrics} for r in comp.results}}
    with common.engine() as engine:
        record_run(engine, "evaluate", None, json_ready(summary), week=comp.split.get("week"),
                   started_at=started, run_id=run_id)


def _cold(model: str, *, k: int, seed: int, json_path: Path | None) -> None:
    """`--cold audio`: the audio model against random and (oracle) popularity order."""
    from ..audio_model.evaluate import cold_start
    from ..errors import check_param

    check_param("evaluate", "--cold", model, choices={"audio"})
    settings = common.settings()
    with common.engine(read_only=True) as engine:
        report = cold_start(engine, settings, seed=seed, k=k)
    rows = [(name, f"{m['recall']:.4f}", f"{m['ndcg']:.4f}", f"{m['precision']:.4f}")
            for name, m in report["results"].items()]
    common.console.print(common.table(f"Cold start at K = {k}: {report['cold_tracks']:,} held-out tracks, "
                                      f"{report['users']:,} users", ["model", f"recall@{k}", f"ndcg@{k}",
                                                                      f"precision@{k}"], rows))
    common.console.print(f"mean cosine predicted vs true vector {report['mean_cosine']:.3f} "
                         f"(shuffled: {report['mean_cosine_random']:.3f}); {report['protocol']}")
    if json_path is not None:
        Path(json_path).write_text(json.dumps(report, indent=2))
        common.console.print(f"JSON written to {json_path}")


def _blend(*, k: int, json_path: Path | None, weeks: int = 1) -> None:
    """`--blend`: every combination of the three models, on the time split, in one table."""
    from ..blend.evaluate import ablation, markdown, pooled_markdown

    settings = common.settings()
    with common.engine(read_only=True) as engine:
        report = ablation(engine, settings, k=k, weeks=weeks)
    common.console.print(f"{report['protocol']}; {report['users']:,} users ({report['light_users']:,} with "
                         f"little history), {report['cold_test_pairs']:,} cold-track test pairs ({report['new_test_pairs']:,} "
                         f"of never-played tracks)", highlight=False)
    common.console.print(markdown(report), markup=False, highlight=False, soft_wrap=True)
    if report.get("pooled"):
        common.console.print(f"\nPooled over {len(report['pooled']['weeks'])} test weeks (each with models, weights "
                             f"and ranker trained only on the weeks before it):", highlight=False)
        common.console.print(pooled_markdown(report), markup=False, highlight=False, soft_wrap=True)
    for note in report.get("notes", []):
        common.console.print(f"note: {note}", highlight=False)
    if json_path is not None:
        Path(json_path).write_text(json.dumps(report, indent=2, default=str))
        common.console.print(f"JSON written to {json_path}")
