"""What every CLI command shares: settings from --home, the open warehouse, the console."""

from __future__ import annotations

import contextlib

from rich.console import Console
from rich.table import Table

from ..config import Settings, load_settings
from ..warehouse import Warehouse

console = Console()
STATE: dict = {"home": None}


def settings() -> Settings:
    return load_settings(STATE["home"])


@contextlib.contextmanager
def warehouse(read_only: bool = False):
    s = settings()
    if read_only and not s.warehouse_path.exists():
        from ..errors import NotFoundError
        raise NotFoundError(f"No warehouse at {s.warehouse_path}: ingest data first "
                            f"(tastemaker ingest events FILE, or tastemaker demo)")
    wh = Warehouse.open(s.warehouse_path, read_only=read_only)
    try:
        yield wh
    finally:
        wh.close()


def table(title: str, columns: list[str], rows) -> Table:
    rows = list(rows)
    t = Table(title=title, title_justify="left")
    for i, c in enumerate(columns):
        numeric = bool(rows) and all(isinstance(r[i], (int, float)) for r in rows if r[i] != "")
        t.add_column(c, justify="right" if numeric else "left")
    for r in rows:
        t.add_row(*[f"{v:,}" if isinstance(v, int) else (f"{v:.4f}" if isinstance(v, float) else str(v))
                    for v in r])
    return t
