"""`tastemaker status`: what the home holds."""

from __future__ import annotations

import typer

from ..queries import status
from . import common


def status_cmd():
    """Counts of the warehouse tables, models and generated weeks."""
    settings = common.settings()
    with common.engine(read_only=True) as engine:
        s = status(engine, settings)
    spark = settings.engine.spark
    heavy = f"; ALS and the week on Spark {spark.master}" if settings.engine.kind == "spark" else ""
    common.console.print(f"home: {s.home} ({s.engine} warehouse {s.warehouse}{heavy})")
    common.console.print(common.table("Warehouse", ["table", "rows"], list(s.counts.items())))
    common.console.print(common.table("Models", ["kind", "latest", "versions", "fitted by"],
                                      [(m.kind, m.latest, m.versions, m.fitted_by or "") for m in s.models]))
    common.console.print(f"weeks generated: {', '.join(s.weeks) or 'none'}")


def register(app: typer.Typer) -> None:
    app.command("status")(status_cmd)
