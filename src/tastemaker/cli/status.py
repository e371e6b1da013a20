"""`tastemaker status`: what the home holds."""

from __future__ import annotations

import typer

from ..models import registry
from . import common


def status_cmd():
    """Counts of the warehouse tables, models and generated weeks."""
    settings = common.settings()
    with common.warehouse(read_only=True) as wh:
        counts = wh.counts()
        weeks = [w for (w,) in wh.execute("SELECT DISTINCT week FROM playlists ORDER BY 1").fetchall()]
        rejected = wh.scalar("SELECT count(*) FROM rejected_files")
    common.console.print(f"home: {settings.home}")
    common.console.print(common.table("Warehouse", ["table", "rows"], list(counts.items())
                                      + [("rejected_files", rejected)]))
    kinds = sorted(p.name for p in settings.models_dir.iterdir() if p.is_dir()) \
        if settings.models_dir.exists() else []
    models = [(kind, v[-1], len(v)) for kind in kinds if (v := registry.versions(settings.models_dir, kind))]
    common.console.print(common.table("Models", ["kind", "latest", "versions"], models))
    common.console.print(f"weeks generated: {', '.join(weeks) or 'none'}")


def register(app: typer.Typer) -> None:
    app.command("status")(status_cmd)
