"""The Spark engine (Apache Spark 4, PySpark): the pipeline's heavy steps on a cluster.

What runs on Spark (``[engine] kind = "spark"``; docs/spark.md):

* `SparkEngine`: the warehouse (`warehouse`) — the events and the quarantine as Parquet under
  ``[engine.spark] warehouse`` (`store`), written by ingest (`ingest`, `ledger`) and read by
  Spark SQL from the definitions both engines share (`events`, `playlists`); the catalogue, the
  ledger and the rest in the home's DuckDB file, which marks what the Parquet tables hold;
* `als`: collaborative filtering fitted by MLlib's implicit ALS, saved in the same format as the
  embedded engine's, so everything downstream reads it unchanged;
* `weekly`: the week's lists, users partitioned across executors, each partition running the
  engine-independent blend (`tastemaker.blend.Blend`) through Arrow, heard and recently listed
  tracks excluded by a join;
* `export`: a week as Parquet under any path or URI;
* `connection`: one Spark session per process from ``[engine.spark]``, quiet.

Nothing here imports PySpark until Spark is used: a home that never asks for it never starts it.
"""

from __future__ import annotations

from .connection import SparkUnavailable, check_available, session, stop
from .events import Events
from .ingest import Ingest
from .ledger import Ledger
from .playlists import Playlists

__all__ = ["SparkEngine", "SparkUnavailable", "check_available", "session", "stop"]


class SparkEngine(Events, Ingest, Ledger, Playlists):
    """The Spark engine: DuckDB's hooks, with the events and the quarantine on Spark (Parquet)."""
