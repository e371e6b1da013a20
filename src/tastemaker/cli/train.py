"""`tastemaker train [collaborative]`"""

from __future__ import annotations

import dataclasses
from typing import Optional

import typer

from ..config import ALSParams
from ..train import train_collaborative
from . import common

train_app = typer.Typer(help="Train the models on everything in the warehouse.", invoke_without_command=True)


@train_app.callback()
def _default(ctx: typer.Context):
    """With no subcommand, trains every model."""
    if ctx.invoked_subcommand is None:
        run_collaborative()


@train_app.command("collaborative")
def collaborative_cmd(
    factors: Optional[int] = typer.Option(None, help="Dimension of the vectors [config: als.factors]"),
    regularization: Optional[float] = typer.Option(None, help="λ [config: als.regularization]"),
    iterations: Optional[int] = typer.Option(None, help="ALS sweeps [config: als.iterations]"),
    seed: Optional[int] = typer.Option(None, help="Random seed [config: als.seed]"),
    validate: bool = typer.Option(False, "--validate", help="Also fit on an 80/20 hold-out and "
                                  "record its metrics in the model's manifest (twice the time)"),
):
    """Implicit-feedback ALS on the confidence of all signals."""
    run_collaborative(validate, factors=factors, regularization=regularization,
                      iterations=iterations, seed=seed)


def run_collaborative(validate: bool = False, **overrides) -> None:
    settings = common.settings()
    given = {k: v for k, v in overrides.items() if v is not None}
    params = dataclasses.replace(settings.als, **given) if given else settings.als
    with common.warehouse() as wh:
        result = train_collaborative(wh, settings, params=params, validate=validate)
    m = result.manifest
    common.console.print(
        f"collaborative model [bold]{result.version}[/]: {m['n_users']:,} users × {m['n_items']:,} tracks, "
        f"{m['nnz']:,} pairs, {params.factors} factors, fitted in {m['fit_seconds']:.1f} s\n"
        f"  saved in {settings.models_dir / 'collaborative' / result.version}")
    if m["metrics"]:
        shown = ", ".join(f"{k} {v:.4f}" for k, v in m["metrics"].items()
                          if k.split("@")[0] in ("ndcg", "recall", "coverage"))
        common.console.print(f"  hold-out: {shown} ({m['metrics']['protocol']})")


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")
