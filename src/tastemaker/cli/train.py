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
):
    """Implicit-feedback ALS on the confidence of all signals."""
    run_collaborative(factors=factors, regularization=regularization, iterations=iterations, seed=seed)


def run_collaborative(**overrides) -> None:
    settings = common.settings()
    given = {k: v for k, v in overrides.items() if v is not None}
    params = dataclasses.replace(settings.als, **given) if given else settings.als
    with common.warehouse() as wh:
        result = train_collaborative(wh, settings, params=params)
    m = result.manifest
    common.console.print(
        f"collaborative model [bold]{result.version}[/]: {m['n_users']:,} users × {m['n_items']:,} tracks, "
        f"{m['nnz']:,} pairs, {params.factors} factors, fitted in {m['fit_seconds']:.1f} s\n"
        f"  saved in {settings.models_dir / 'collaborative' / result.version}")


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")
