"""The Spark engine (Apache Spark 4, PySpark): the pipeline's heavy steps on a cluster.

What runs on Spark today (``[engine] kind = "spark"``; docs/spark.md):

* `als`: collaborative filtering fitted by MLlib's implicit ALS, saved in the same format as the
  embedded engine's, so everything downstream reads it unchanged;
* `weekly`: the week's lists, users partitioned across executors, each partition running the
  engine-independent blend (`tastemaker.blend.Blend`) through Arrow, heard and recently listed
  tracks excluded by a join;
* `connection`: one Spark session per process from ``[engine.spark]``, quiet.

The warehouse itself is still the embedded one (DuckDB); the Parquet warehouse on Spark is the
next part of this engine.
"""

from __future__ import annotations

from .connection import SparkUnavailable, check_available, session, stop

__all__ = ["SparkUnavailable", "check_available", "session", "stop"]
