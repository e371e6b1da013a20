"""The embedded engine: DuckDB, one warehouse file per home (the default).

One class, `DuckDBEngine`, made of one mixin per file, each holding the SQL of one part of the
warehouse: `connection` (open, migrations, transactions), `events`, `catalogue`, `ledger` (the
files ingested, rejected and quarantined), `ingest` (validating batches), `datasets` (the public
datasets' own steps), `text`, `audio`, `playlists` (the week's staging and swap, exports,
feedback), `runs`. DuckDB's dialect quirks sit in `dialect.py`.
"""

from __future__ import annotations

from ..base import Engine
from .audio import Audio
from .catalogue import Catalogue
from .connection import Connection
from .datasets import Datasets
from .events import Events
from .ingest import Ingest
from .ledger import Ledger
from .playlists import Playlists
from .runs import Runs
from .text import Text
from .schema import MIGRATIONS, SCHEMA_VERSION

__all__ = ["DuckDBEngine", "MIGRATIONS", "SCHEMA_VERSION"]


class DuckDBEngine(Events, Catalogue, Ledger, Ingest, Datasets, Text, Audio, Playlists, Runs, Connection, Engine):
    """The DuckDB engine: every hook of `tastemaker.engine.base.Engine` on one connection."""
