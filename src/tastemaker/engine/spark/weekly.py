"""The week's lists on Spark: users partitioned, the blend broadcast, the same code per partition.

    >>> for users, table in spark_lists(settings, blend, heard, recent, users_todo, SOURCES):
    ...     engine.stage_playlist_batch(week, run_id, version, table)

The listening history (user, track, confidence) and the recently listed pairs become Spark
DataFrames; what each user must never be offered (heard ∪ listed in the last weeks) is a union
and a group by, and each user's row carries their history and their exclusions. The frozen
`tastemaker.blend.Blend` (vectors, item graph, text neighbours, ranker: the models' small
artefacts) is broadcast once; every partition runs `Blend.lists` — the engine-independent code
the embedded engine runs, not a rewrite — on Arrow batches (``mapInArrow``) and returns the
warehouse's playlist rows. Users go in chunks of ``[weekly] batch_size`` × partitions; each
chunk's rows come back to be staged by the caller, so a killed job re-run starts after the last
staged chunk. Each partition lists its users in the embedded engine's batches (``[weekly]
batch_size`` consecutive users to do), so that the two engines write the same lists.
"""

from __future__ import annotations

import warnings

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from ...config import Settings
from .connection import session

#: the rows each partition returns (`tastemaker.blend.WeekBatch.table`)
ROWS = ("user_idx int, position smallint, track_idx int, score float, source string, "
        "reason_track_idx int, reason string")


def pair_table(users: np.ndarray, tracks: np.ndarray, conf: np.ndarray | None = None) -> pa.Table:
    """(user, track[, conf]) pairs as an Arrow table, the shape the job's DataFrames start from."""
    cols = {"user": pa.array(np.asarray(users, np.int32)), "track": pa.array(np.asarray(tracks, np.int32))}
    if conf is not None:
        cols["conf"] = pa.array(np.asarray(conf, np.float32))
    return pa.table(cols)


def list_rows(column: pa.ChunkedArray | pa.Array, n_items: int, value: str | None = None) -> sp.csr_matrix:
    """A list column (one list per user; null = empty) as a CSR matrix of n_items columns: the
    list's tracks (or, with `value`, a list of structs: its ``track`` and `value` fields)."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    lengths = pc.fill_null(pc.list_value_length(arr), 0).to_numpy().astype(np.int64)
    flat = arr.flatten()
    if value is None:
        tracks, data = flat.to_numpy(zero_copy_only=False), np.ones(len(flat), np.float32)
    else:
        tracks = flat.field("track").to_numpy(zero_copy_only=False)
        data = flat.field(value).to_numpy(zero_copy_only=False).astype(np.float32)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    out = sp.csr_matrix((data, np.asarray(tracks, np.int64), indptr), shape=(len(lengths), n_items))
    out.sum_duplicates()
    return out


def week_rows(batches, blend, n_items: int, sources):
    """The partition's work: Arrow batches of (user, batch, heard, exclude) in, playlist rows out.
    Users are listed batch by batch, each batch's users in order: the very batches the embedded
    engine makes (the collaborative scores' rounding, and so ties at the edge of a pool, depend
    on the shape of the product), so that both engines write the same lists."""
    received = list(batches)
    if not received:
        return
    part = pa.Table.from_batches(received)
    users = part.column("user").to_numpy().astype(np.int64)
    batch = part.column("batch").to_numpy()
    order = np.lexsort((users, batch))
    users, batch = users[order], batch[order]
    heard = list_rows(part.column("heard"), n_items, value="conf")[order]
    exclude = list_rows(part.column("exclude"), n_items)[order]
    bounds = np.flatnonzero(np.diff(batch)) + 1
    for sl in np.split(np.arange(len(users)), bounds):
        table = blend.lists(users[sl], heard[sl], exclude=exclude[sl]).table(sources)
        yield from table.to_batches()


def spark_master(settings: Settings) -> str:
    """The master URL of the session the week runs on (spark-submit's when it started the driver)."""
    return session(settings).sparkContext.master


def spark_lists(settings: Settings, blend, heard: sp.csr_matrix, recent: tuple[np.ndarray, np.ndarray],
                users_todo: np.ndarray, sources):
    """Yield (users, their playlist rows as one Arrow table) chunk by chunk, computed on Spark.
    ``heard``: every user's confidence row; ``recent``: (user_idx, track_idx) listed in the
    weeks to exclude."""
    from pyspark.sql import functions as F

    spark = session(settings)
    sc = spark.sparkContext
    n_items = heard.shape[1]
    parts = settings.engine.spark.partitions or 4 * sc.defaultParallelism
    batch = settings.weekly.batch_size
    coo = sp.coo_matrix(heard)
    heard_df = spark.createDataFrame(pair_table(coo.row, coo.col, coo.data))
    recent_df = spark.createDataFrame(pair_table(*recent))
    history = heard_df.groupBy("user").agg(F.collect_list(F.struct("track", "conf")).alias("heard"))
    never = (heard_df.select("user", "track").unionByName(recent_df).distinct()
             .groupBy("user").agg(F.collect_list("track").alias("exclude")))
    history.persist()
    never.persist()
    shared = sc.broadcast(blend)
    try:
        chunk = batch * parts                   # whole batches: a chunk staged is never redone
        for start in range(0, len(users_todo), chunk):
            users = users_todo[start:start + chunk]
            todo = spark.createDataFrame(pa.table({"user": pa.array(users.astype(np.int32)),
                                                   "batch": pa.array(np.arange(len(users)) // batch)}))
            rows = (todo.join(history, "user", "left").join(never, "user", "left")
                    .repartition(min(parts, -(-len(users) // batch)), "batch"))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)       # PySpark on pandas 3
                out = rows.mapInArrow(lambda it: week_rows(it, shared.value, n_items, sources), ROWS)
                table = out.toArrow()
            yield users, table
    finally:
        shared.unpersist()
        history.unpersist()
        never.unpersist()
