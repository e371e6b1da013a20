"""A week's lists written by Spark as Parquet, to a folder under any path or URI it reaches.

    >>> write_parquet(settings, row_batches(engine, week), "hdfs://namenode/tastemaker/2026-W49.parquet")

The batches (Arrow tables) go to a staging folder beside the destination, one Spark write each;
when the last is written the staging folder is renamed to the destination in one step of the
destination's file system (HDFS, a local folder; on object stores such as S3 a rename is a copy:
use a committer made for them). A destination that exists is deleted only once the new export
is complete, and the staging folder takes its place at once: a failed export leaves the
previous one, and a reader finds a whole week or (for that moment) none, never half of one.
"""

from __future__ import annotations

import uuid
import warnings

from ...config import Settings
from ...errors import InputError
from .connection import session
from .files import Files


def write_parquet(settings: Settings, batches, destination: str) -> str:
    """Write the Arrow tables of `batches` as one Parquet folder at `destination`. Returns it."""
    spark = session(settings)
    files = Files(spark)
    staging = f"{destination.rstrip('/')}._staging-{uuid.uuid4().hex[:8]}"
    mode = "overwrite"
    try:
        for table in batches:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)       # PySpark on pandas 3
                spark.createDataFrame(table).write.mode(mode).parquet(staging)
            mode = "append"
        if mode == "overwrite":
            raise InputError(f"Nothing to export to {destination}")
        files.delete(destination)
        files.rename(staging, destination)
    finally:
        files.delete(staging)
    return destination
