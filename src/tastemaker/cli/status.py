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
    common.console.print(f"home: {s.home} ({s.engine} warehouse {s.warehouse})")
    common.console.print(common.table("Warehouse", ["table", "rows"], list(s.counts.items())))
    common.console.print(common.table("Models", ["kind", "latest", "versions"],
                                      [(m.kind, m.latest, m.versions) for m in s.models]))
    common.console.print(f"weeks generated: {', '.join(s.weeks) or 'none'}")


def register(app: typer.Typer) -> None:
    app.command("status")(status_cmd)
