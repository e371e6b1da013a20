"""The Spark engine: settings, MLlib's ALS through tastemaker, the weekly job on Spark.

The tests that start Spark are marked ``spark`` (``make test-spark``, which CI also runs): they
need PySpark and Java 17, and share one ``local[2]`` session per test process. The others run
everywhere."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from tastemaker.config import EngineParams, SparkParams, load_settings
from tastemaker.engine import open_engine
from tastemaker.engine.spark import connection as spark_session
from tastemaker.engine.spark.als import SparkALS, mapped_reg_param, mllib_ratings
from tastemaker.engine.spark.weekly import list_rows
from tastemaker.errors import ParameterError
from tastemaker.models.als import ALS
from tastemaker.testing import check_recommender, tiny_world
from tastemaker.weekly.generate import generate_week
from tastemaker.weekly.weeks import previous_weeks

from .conftest import home_with_weeks


def _spark_or_skip():
    try:
        spark_session.check_available()
    except spark_session.SparkUnavailable as exc:
        pytest.skip(f"the Spark engine cannot start here: {exc}")


def test_engine_settings_read_from_the_home(tmp_path):
    (tmp_path / "tastemaker.toml").write_text(textwrap.dedent("""
        [engine]
        kind = "spark"
        [engine.spark]
        master = "local[1]"
        reg_param = 0.1
        conf = { "spark.executor.memory" = "2g", "spark.sql.adaptive.enabled" = true }
    """))
    s = load_settings(tmp_path)
    assert s.engine.kind == "spark" and s.engine.spark.master == "local[1]" and s.engine.spark.reg_param == 0.1
    assert s.engine.spark.conf == {"spark.executor.memory": "2g", "spark.sql.adaptive.enabled": "true"}
    assert load_settings(tmp_path / "other").engine == EngineParams()
    with pytest.raises(ParameterError, match="kind"):
        EngineParams(kind="hadoop")
    with pytest.raises(ParameterError, match=r"unknown keys \['mastr'\] in \[engine.spark\]"):
        EngineParams(kind="spark", spark={"mastr": "local"})
    with pytest.raises(ParameterError, match="checkpoint_interval"):
        SparkParams(checkpoint_interval=0)


def test_mllib_ratings_give_the_same_confidence_and_preference():
    c = sp.csr_matrix(np.array([[3.0, -2.0, 1.0, 0.0], [0.0, 1.5, -1.0, 7.0]], np.float32))
    t = mllib_ratings(c)
    r = t.column("rating").to_numpy()
    # MLlib: preference r > 0, confidence 1 + |r| (alpha 1)
    assert np.array_equal(r > 0, sp.coo_matrix(c).data > 0)
    assert np.allclose(1 + np.abs(r), np.abs(sp.coo_matrix(c).data), atol=1e-5)
    assert t.column("user").to_pylist() == [0, 0, 0, 1, 1, 1] and t.column("item").to_pylist() == [0, 1, 2, 1, 2, 3]
    # λ on MLlib's scale: divided by the mean positives of users with any (2 and 2)
    assert mapped_reg_param(c, 20.0) == pytest.approx(10.0)


def test_list_columns_become_the_rows_the_blend_reads():
    import pyarrow as pa
    lists = pa.array([[3, 1], None, [], [0, 3, 3]], pa.list_(pa.int32()))
    m = list_rows(lists, 5)
    assert m.shape == (4, 5) and m[0].indices.tolist() == [1, 3] and m[1].nnz == m[2].nnz == 0
    assert m[3].indices.tolist() == [0, 3]
    structs = pa.array([[{"track": 2, "conf": 4.0}], None], pa.list_(pa.struct([("track", pa.int32()),
                                                                             ("conf", pa.float32())])))
    assert list_rows(structs, 3, value="conf").toarray().tolist() == [[0, 0, 4.0], [0, 0, 0]]


def test_a_missing_pyspark_is_named_with_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)      # import pyspark raises ImportError
    with pytest.raises(spark_session.SparkUnavailable, match="make install-spark"):
        spark_session.check_available()


@pytest.mark.spark
def test_spark_als_answers_the_recommender_contract_and_loads_as_als(tmp_path):
    _spark_or_skip()
    settings = load_settings(tmp_path / "home")
    world = tiny_world()
    model = check_recommender(lambda w: SparkALS(factors=8, iterations=8, settings=settings), world=world)
    assert model.spark_["reg_param_mapped"] and model.spark_["reg_param"] == pytest.approx(
        mapped_reg_param(world.user_items, 20.0))
    model.save(tmp_path / "m")
    loaded = ALS.load(tmp_path / "m")          # the embedded engine's loader reads it as it is
    assert type(loaded) is ALS and np.array_equal(loaded.item_factors_, model.item_factors_)
    users = np.arange(world.user_items.shape[0])
    assert np.array_equal(loaded.recommend(users, world.user_items, N=5)[0],
                          model.recommend(users, world.user_items, N=5)[0])
    assert (settings.home / "logs" / "spark.log").exists()    # Spark's own chatter, not the terminal


@pytest.fixture(scope="module")
def weekly_home(tmp_path_factory):
    from .conftest import make_tiny_world
    world = make_tiny_world(tmp_path_factory.mktemp("spark-world"))
    settings, _ = home_with_weeks(world, weeks=("2026-W48",))
    return world, settings


def _copy(settings, home, *, batch_size: int, partitions: int | None = None):
    """A copy of the home at `home` whose week is made in batches of `batch_size` users, on
    Spark with `partitions` when given (else embedded)."""
    shutil.copytree(settings.home, home)
    s = dataclasses.replace(settings, home=home, weekly=dataclasses.replace(settings.weekly, batch_size=batch_size))
    return s if partitions is None else dataclasses.replace(
        s, engine=EngineParams(kind="spark", spark=SparkParams(partitions=partitions)))


def _columns(settings, week):
    with open_engine(settings, read_only=True) as engine:
        return engine.playlist_columns(week)


@pytest.mark.spark
def test_the_week_on_spark_is_the_embedded_week_row_for_row(weekly_home, tmp_path):
    _spark_or_skip()
    world, settings = weekly_home
    # the same batches of users as Spark's partitions make (rounding depends on a product's shape)
    embedded = _copy(settings, tmp_path / "home", batch_size=64)
    spark = _copy(settings, tmp_path / "home-spark", batch_size=64, partitions=3)
    with open_engine(embedded) as engine:
        a = generate_week(engine, embedded, week="2026-W49")
    with open_engine(spark) as engine:
        b = generate_week(engine, spark, week="2026-W49")
    assert a.rows == b.rows == 30 * a.users and a.by_source == b.by_source and b.short_lists == a.short_lists
    ca, cb = _columns(embedded, "2026-W49"), _columns(spark, "2026-W49")
    for name in ("user_idx", "position", "track_idx", "source", "reason"):
        assert np.array_equal(ca[name], cb[name]), name
    assert np.allclose(ca["score"], cb["score"], equal_nan=True)
    # the guarantees, on Spark's lists: never heard, at most max_per_artist, nothing from recent weeks
    with open_engine(spark, read_only=True) as engine:
        sums = engine.interaction_sums(30_000, from_table=True)
        heard = set(zip(sums["user_idx"].tolist(), sums["track_idx"].tolist()))
        recent = set(zip(*[a.tolist() for a in engine.recommended_pairs(previous_weeks("2026-W49", 4))]))
        artist = engine.track_catalogue()["artist_idx"]
    listed = list(zip(cb["user_idx"].tolist(), cb["track_idx"].tolist()))
    assert not set(listed) & heard and not set(listed) & recent and recent
    per_artist = np.unique(cb["user_idx"].astype(np.int64) * 10_000 + artist[cb["track_idx"]], return_counts=True)[1]
    assert per_artist.max() <= settings.weekly.max_per_artist


KILLER = """
import os, signal, sys
from tastemaker.engine import DuckDBEngine, open_engine
from tastemaker.config import EngineParams, SparkParams, load_settings
from tastemaker.weekly.generate import generate_week
import dataclasses
real = DuckDBEngine.stage_playlist_batch
calls = []
def stage_then_die(self, *args, **kwargs):
    real(self, *args, **kwargs)
    calls.append(1)
    if len(calls) == 2:                       # two chunks committed: the driver is killed
        os.kill(os.getpid(), signal.SIGKILL)
DuckDBEngine.stage_playlist_batch = stage_then_die
s = load_settings(sys.argv[1])
s = dataclasses.replace(s, engine=EngineParams(kind="spark", spark=SparkParams(partitions=2)),
                        weekly=dataclasses.replace(s.weekly, batch_size=20))
with open_engine(s) as engine:
    generate_week(engine, s, week="2026-W49")
"""


@pytest.mark.spark
def test_a_driver_killed_mid_week_leaves_the_last_week_and_a_rerun_finishes_it(weekly_home, tmp_path):
    _spark_or_skip()
    _, settings = weekly_home
    s = _copy(settings, tmp_path / "home", batch_size=20, partitions=2)
    script = tmp_path / "killer.py"
    script.write_text(KILLER)
    done = subprocess.run([sys.executable, str(script), str(s.home)], capture_output=True, text=True, timeout=600)
    assert done.returncode == -9, done.stderr[-2000:]
    with open_engine(s, read_only=True) as engine:
        assert engine.playlist_weeks() == ["2026-W48"]          # nothing of W49 is visible yet
    with open_engine(s) as engine:
        report = generate_week(engine, s, week="2026-W49")
    assert report.resumed_users == 80                          # two chunks of 20 × 2 partitions
    cols = _columns(s, "2026-W49")
    pairs = cols["user_idx"].astype(np.int64) * 100 + cols["position"]
    assert len(cols["user_idx"]) == 30 * report.users and len(np.unique(pairs)) == len(pairs)
    # the same lists as one uninterrupted run
    embedded = _copy(settings, tmp_path / "clean", batch_size=20)
    with open_engine(embedded) as engine:
        generate_week(engine, embedded, week="2026-W49")
    clean = _columns(embedded, "2026-W49")
    assert np.array_equal(clean["track_idx"], cols["track_idx"]) and np.array_equal(clean["user_idx"], cols["user_idx"])


@pytest.mark.spark
def test_spark_submit_runs_the_cli_with_its_own_master(weekly_home, tmp_path):
    _spark_or_skip()
    _, settings = weekly_home
    s = _copy(settings, tmp_path / "home", batch_size=8192)
    submit = Path(sys.executable).with_name("spark-submit")
    if not submit.exists():
        pytest.skip(f"no spark-submit beside {sys.executable}")
    import tastemaker
    script = Path(tastemaker.__file__).with_name("__main__.py")
    done = subprocess.run([str(submit), "--master", "local[1]", "--conf", "spark.ui.enabled=false",
                           "--conf", f"spark.pyspark.python={sys.executable}", str(script),
                           "--home", str(s.home), "--engine", "spark", "weekly", "generate", "--week", "2026-W49"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "week 2026-W49: 240 users" in done.stdout and "on Spark local[1]," in done.stdout   # not local[2]
    with open_engine(s, read_only=True) as engine:
        assert engine.playlist_weeks() == ["2026-W48", "2026-W49"]
        run = engine.playlist_run("2026-W49")
    assert run is not None and len(_columns(s, "2026-W49")["user_idx"]) == 30 * 240


def _every_kind_of_event():
    """Events of every kind, short and full plays, unknown durations, a visit with no track,
    events without a time, over two weeks."""
    import pyarrow as pa
    rng = np.random.default_rng(3)
    n = 3000
    kinds = np.array(["play", "play", "play", "save", "skip", "artist_visit", "dislike"])
    track = rng.integers(0, 40, n).astype("float")
    kind = kinds[rng.integers(0, len(kinds), n)]
    track[(kind == "artist_visit") & (rng.random(n) < 0.5)] = np.nan       # a visit to the artist's page
    ms = rng.integers(1_000, 400_000, n).astype("float")
    ms[rng.random(n) < 0.2] = np.nan
    ts = np.datetime64("2026-11-02") + rng.integers(0, 14 * 86_400, n).astype("timedelta64[s]")
    events = pa.table({
        "user_idx": pa.array(rng.integers(0, 30, n), pa.int32()),
        "track_idx": pa.array(track, pa.int32(), from_pandas=True),
        "artist_idx": pa.array(np.where(np.isnan(track), rng.integers(0, 8, n), np.nan_to_num(track) // 5),
                               pa.int32()),
        "kind": pa.array(kind),
        "ts": pa.array(ts, pa.timestamp("us"), mask=rng.random(n) < 0.05),
        "plays": pa.array(rng.integers(1, 4, n), pa.int32()),
        "ms_played": pa.array(ms, pa.int64(), from_pandas=True),
    })
    tracks = pa.table({"track_idx": pa.array(np.arange(40), pa.int32()),
                       "artist_idx": pa.array(np.arange(40) // 5, pa.int32())})
    return events, tracks


@pytest.mark.spark
@pytest.mark.parametrize("window", [{}, {"since": "2026-11-09 00:00:00"},
                                    {"since": "2026-11-02 00:00:00", "until": "2026-11-09 00:00:00"}])
def test_spark_sql_runs_the_shared_interactions_definition_as_duckdb_does(tmp_path, window):
    _spark_or_skip()
    import duckdb
    from tastemaker.engine import sql
    from tastemaker.engine.spark.events import SUMS, interaction_sums

    events, tracks = _every_kind_of_event()
    con = duckdb.connect()
    con.register("events", events)
    con.register("tracks", tracks)
    expected = con.execute(f"SELECT {', '.join(SUMS)} FROM ({sql.interactions(30_000, **window)}) "
                           f"ORDER BY user_idx, track_idx").fetchall()
    spark = spark_session.session(load_settings(tmp_path / "home"))
    got = interaction_sums(spark, spark.createDataFrame(events), spark.createDataFrame(tracks), 30_000, **window)
    rows = [tuple(r) for r in got.orderBy("user_idx", "track_idx").collect()]
    assert len(expected) > 300 and rows == [tuple(r) for r in expected]
    # every branch of the definition is exercised
    assert all(any(r[i] for r in rows) for i in range(2, len(SUMS))), SUMS


def _cli(home, *args, env_extra=None, timeout=600):
    import os
    env = {**os.environ, "TASTEMAKER_QUIET": "1", **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "tastemaker", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=timeout, env=env)


def test_the_cli_names_what_to_install_when_pyspark_is_missing(tmp_path):
    fake = tmp_path / "no-pyspark" / "pyspark"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('PySpark is not installed here')\n")
    done = _cli(tmp_path / "home", "--engine", "spark", "weekly", "generate",
                env_extra={"PYTHONPATH": str(fake.parent)})
    # no warehouse yet: the engine is not needed to say so; with one, the missing PySpark is named
    assert done.returncode == 2 and "Traceback" not in done.stderr
    from .conftest import make_tiny_world
    (tmp_path / "w").mkdir()
    world = make_tiny_world(tmp_path / "w")
    home_with_weeks(world, weeks=())
    done = _cli(world["home"], "--engine", "spark", "train", "collaborative", env_extra={"PYTHONPATH": str(fake.parent)})
    assert done.returncode == 2, done.stderr
    assert "make install-spark" in done.stdout + done.stderr and "Traceback" not in done.stderr


@pytest.mark.spark
def test_train_on_spark_through_the_cli_says_how_mllib_was_set(weekly_home, tmp_path):
    _spark_or_skip()
    _, settings = weekly_home
    s = _copy(settings, tmp_path / "home", batch_size=8192)
    done = _cli(s.home, "--engine", "spark", "train", "collaborative", "--iterations", "5")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "MLlib regularisation" in done.stdout and "(mapped from 20), on Spark local[2]" in done.stdout
    assert "the spark engine fits [als] as given" in done.stdout
    import json
    from tastemaker.models import registry
    folder = registry.resolve(s.models_dir, "collaborative")
    assert json.loads((folder / "params.json").read_text())["fitted_by"]["engine"] == "spark"
    assert registry.manifest(s.models_dir, "collaborative")["engine"] == "spark"
    status = " ".join(_cli(s.home, "status").stdout.split())
    assert "collaborative" in status and "spark local[2]" in status


@pytest.mark.spark
def test_parquet_export_on_spark_goes_to_a_uri_whole(weekly_home, tmp_path):
    _spark_or_skip()
    import pandas as pd
    _, settings = weekly_home
    s = _copy(settings, tmp_path / "home", batch_size=8192)
    local = _cli(s.home, "weekly", "export", "--format", "parquet", "--out", str(tmp_path / "local"))
    assert local.returncode == 0, local.stderr[-2000:]
    uri = f"file://{tmp_path}/lake/playlists"
    done = _cli(s.home, "--engine", "spark", "weekly", "export", "--format", "parquet", "--out", uri)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"{uri}/2026-W48.parquet" in " ".join(done.stdout.split())
    folder = tmp_path / "lake" / "playlists" / "2026-W48.parquet"
    assert (folder / "_SUCCESS").exists() and not list(folder.parent.glob("*_staging-*"))
    key = ["user_id", "position"]
    a = pd.read_parquet(tmp_path / "local" / "2026-W48.parquet").sort_values(key).reset_index(drop=True)
    b = pd.read_parquet(folder).sort_values(key).reset_index(drop=True)
    assert len(a) == 30 * 240 and a.equals(b[a.columns])
    # again: the folder is replaced whole, not appended to
    assert _cli(s.home, "--engine", "spark", "weekly", "export", "--format", "parquet", "--out", uri).returncode == 0
    assert len(pd.read_parquet(folder)) == 30 * 240


# -- the warehouse on Spark: events and quarantine as Parquet --------------------------------------

BAD_EVENTS = """user_id,track_id,artist_id,kind,ts,count,ms_played
u1,t1,a0,play,2026-11-03T10:00:00Z,1,180000
u1,t1,a0,play,2026-11-03T10:00:00Z,1,180000
u2,,a0,play,2026-11-03T11:00:00Z,1,180000
u3,t3,a0,play,yesterday,1,180000
u4,t4,a0,jump,2026-11-03T10:00:00Z,1,180000
u5,t5,a1,play,2026-11-04T10:00:00Z,-2,180000
u6,t6,a1,save,2026-11-04T10:00:00Z,1,
,t7,a1,play,2026-11-04T10:00:00Z,1,180000
u7,t9,a1,artist_visit,,1,
u8,t8,a1,play,2026-11-05T10:00:00Z,1,nan
u9,t10,a2,play,2026-11-05T10:00:00Z,100000,4000000000
"""


def _spark_home(world, tmp_path, name: str, kind: str):
    """The tiny world's catalogue, events and a file of bad rows ingested into a new home by the
    engine `kind`: (settings, the events report)."""
    from tastemaker.ingest import ingest_catalog, ingest_events
    s = load_settings(tmp_path / name)
    s = dataclasses.replace(s, engine=EngineParams(kind=kind, spark=SparkParams(partitions=3)),
                            weekly=dataclasses.replace(s.weekly, batch_size=64))
    bad, empty = tmp_path / "bad.csv", tmp_path / "empty.csv"
    bad.write_text(BAD_EVENTS)
    empty.write_text("")
    with open_engine(s) as engine:
        ingest_catalog(engine, [world["catalog"]])
        report = ingest_events(engine, [world["events"], bad, world["events"], empty])
    return s, report


@pytest.fixture(scope="module")
def parquet_homes(tmp_path_factory):
    _spark_or_skip()
    from .conftest import make_tiny_world
    root = tmp_path_factory.mktemp("parquet")
    world = make_tiny_world(root)
    return world, root, _spark_home(world, root, "embedded", "duckdb"), _spark_home(world, root, "spark", "spark")


@pytest.mark.spark
def test_ingest_on_spark_keeps_every_rule_of_the_embedded_engine(parquet_homes):
    import pyarrow.dataset as ds
    world, root, (embedded, a), (spark, b) = parquet_homes
    assert [(f.status, f.rows_read, f.accepted, f.quarantined) for f in a.files] == \
           [(f.status, f.rows_read, f.accepted, f.quarantined) for f in b.files]
    assert [f.status for f in b.files] == ["ingested", "ingested", "skipped", "rejected"]   # the same file twice: once
    assert b.rows_read == b.accepted + b.quarantined and b.quarantined == 7 and dict(a.reasons) == dict(b.reasons)
    with open_engine(embedded, read_only=True) as ea, open_engine(spark, read_only=True) as eb:
        assert ea.kind == "duckdb" and eb.kind == "spark" and eb.events_elsewhere() == "spark/warehouse"
        assert ea.table_counts() == eb.table_counts() and eb.rejected_count() == 1
        assert ea.event_span() == eb.event_span() and ea.untimed_events() == eb.untimed_events() == 1
        for file_id in (1, 2, 3):                               # catalogue, events, bad rows
            assert ea.quarantined_rows(file_id) == eb.quarantined_rows(file_id)
        assert "duplicate event: same as line 2" in [r for _, r in eb.quarantined_rows(3)]
        for until in (None, "2026-11-10"):
            sa, sb = ea.interaction_sums(30_000, until=until), eb.interaction_sums(30_000, until=until)
            order_a, order_b = np.lexsort((sa["track_idx"], sa["user_idx"])), np.lexsort((sb["track_idx"], sb["user_idx"]))
            for col in sa:
                assert np.array_equal(np.asarray(sa[col])[order_a], np.asarray(sb[col])[order_b]), col
        ta, tb = ea.track_play_counts(30_000), eb.track_play_counts(30_000)
        assert np.array_equal(np.sort(ta[0]), np.sort(tb[0])) and ta[2].sum() == tb[2].sum()
    # the Parquet tables, as any reader finds them: one folder per file, the quarantine with its reasons
    where = spark.spark_dir / "warehouse"
    events = ds.dataset(where / "events", format="parquet", partitioning="hive").to_table()
    quarantine = ds.dataset(where / "quarantine", format="parquet", partitioning="hive").to_table()
    assert events.num_rows == b.accepted and quarantine.num_rows == b.quarantined
    assert set(quarantine.column_names) >= {"file_id", "line", "reason", "raw"}
    assert not (where / "_staging").exists() or not any((where / "_staging").iterdir())


@pytest.mark.spark
def test_a_home_ingested_on_spark_makes_the_embedded_week_from_the_same_models(parquet_homes, tmp_path):
    world, root, (embedded, _), (spark, _) = parquet_homes
    from tastemaker.train import train_collaborative
    with open_engine(embedded) as engine:
        train_collaborative(engine, embedded)
        a = generate_week(engine, embedded, week="2026-W49")
    shutil.copytree(embedded.home / "models", spark.home / "models", dirs_exist_ok=True)
    with open_engine(spark) as engine:
        assert engine.materialize_interactions(embedded.signals.min_play_ms) > 0
        b = generate_week(engine, spark, week="2026-W49")
    assert a.rows == b.rows == 30 * a.users
    ca, cb = _columns(embedded, "2026-W49"), _columns(spark, "2026-W49")
    for name in ("user_idx", "position", "track_idx", "source"):
        assert np.array_equal(ca[name], cb[name]), name
    # what the listeners did with them, read back through each engine's feedback
    import datetime as dt
    from tastemaker.ingest import ingest_events
    with open_engine(embedded, read_only=True) as engine:
        users, tracks = engine.user_ids(), engine.track_listing()["track_id"]
    rows = [f"{users[u]},{tracks[t]},{k},2026-12-0{1 + p % 3}T1{p % 10}:00:00Z,{90_000 if p % 4 else 10_000}"
            for u, t, p in zip(ca["user_idx"][:600:7], ca["track_idx"][:600:7], ca["position"][:600:7])
            for k in (["play"] if p % 5 else ["play", "save"])]
    later = tmp_path / "december.csv"
    later.write_text("user_id,track_id,kind,ts,ms_played\n" + "\n".join(rows) + "\n")
    monday = dt.datetime(2026, 11, 30)
    found = []
    for s in (embedded, spark):
        with open_engine(s) as engine:
            assert ingest_events(engine, [later]).accepted == len(rows)
            found.append((sorted(engine.feedback_counts(["2026-W49"], [monday], 30_000), key=repr),
                          engine.list_feedback("2026-W49", int(ca["user_idx"][0]), monday, 30_000)))
    assert found[0] == found[1]
    assert sum(r[4] for r in found[1][0] if r[1] is None) > 0           # plays were counted


INGEST_KILLER = """
import os, signal, sys, dataclasses
from tastemaker.config import EngineParams, SparkParams, load_settings
from tastemaker.engine import open_engine
from tastemaker.engine.spark.store import ParquetStore
from tastemaker.ingest import ingest_events
real = ParquetStore.publish
def publish_then_die(self):
    real(self)                                # the file's folders are in place, the ledger not yet
    os.kill(os.getpid(), signal.SIGKILL)
ParquetStore.publish = publish_then_die
s = load_settings(sys.argv[1])
s = dataclasses.replace(s, engine=EngineParams(kind="spark"))
with open_engine(s) as engine:
    ingest_events(engine, [sys.argv[2]])
"""


@pytest.mark.spark
def test_a_driver_killed_as_ingest_commits_leaves_nothing_and_a_rerun_ingests_once(parquet_homes, tmp_path):
    from tastemaker.ingest import ingest_events
    world, root, _, (spark, b) = parquet_homes
    home = tmp_path / "home"
    shutil.copytree(spark.home, home)
    s = dataclasses.replace(spark, home=home)
    extra = tmp_path / "more.csv"
    extra.write_text("user_id,track_id,kind,ts\n" + "".join(
        f"u{u},t{u % 150},play,2026-11-20T{u % 24:02d}:00:00Z\n" for u in range(200)))
    with open_engine(s, read_only=True) as engine:
        before = engine.table_counts()
    script = tmp_path / "killer.py"
    script.write_text(INGEST_KILLER)
    done = subprocess.run([sys.executable, str(script), str(home), str(extra)], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == -9, done.stderr[-2000:]
    orphan = home / "spark" / "warehouse" / "events" / "file_id=4"
    assert orphan.exists()                                   # moved into place, never committed
    with open_engine(s, read_only=True) as engine:
        assert engine.table_counts() == before               # ... so nobody reads it
    with open_engine(s) as engine:
        report = ingest_events(engine, [extra])
        counts = engine.table_counts()
    assert report.accepted == 200 and counts["events"] == before["events"] + 200
    with open_engine(s) as engine:
        assert ingest_events(engine, [extra]).files[0].status == "skipped"
        sums = engine.interaction_sums(30_000)
    assert int(np.asarray(sums["plays"]).sum()) == int(np.asarray(b_plays(spark)).sum()) + 200


def b_plays(settings):
    with open_engine(settings, read_only=True) as engine:
        return engine.interaction_sums(30_000)["plays"]


@pytest.mark.spark
def test_spark_writes_the_rows_where_the_driver_cannot(parquet_homes, tmp_path, monkeypatch):
    """On a warehouse that is not the driver's own disk (hdfs://, s3a://) Spark writes the staged
    rows; here a local one is taken for remote, and the tables come out the same."""
    from tastemaker.engine.spark.store import ParquetStore
    world, root, _, (spark, b) = parquet_homes
    monkeypatch.setattr(ParquetStore, "local", property(lambda self: False))
    s, report = _spark_home(world, tmp_path, "remote", "spark")
    assert [(f.status, f.rows_read, f.accepted, f.quarantined) for f in report.files] == \
           [(f.status, f.rows_read, f.accepted, f.quarantined) for f in b.files]
    # (the other home may have taken December's plays since: compare what came before)
    with open_engine(s, read_only=True) as ea, open_engine(spark, read_only=True) as eb:
        counts = ea.table_counts()
        assert counts["events"] == report.accepted and counts["quarantine"] == report.quarantined
        for file_id in (1, 2, 3):
            assert ea.quarantined_rows(file_id) == eb.quarantined_rows(file_id)
        sa, sb = ea.interaction_sums(30_000), eb.interaction_sums(30_000, until="2026-11-30")
        assert int(np.asarray(sa["plays"]).sum()) == int(np.asarray(sb["plays"]).sum()) > 0


@pytest.mark.spark
def test_the_warehouse_may_be_any_uri_and_a_home_keeps_the_one_it_recorded(parquet_homes, tmp_path):
    from tastemaker.errors import EngineError
    from tastemaker.ingest import ingest_events
    world, *_ = parquet_homes
    lake = (tmp_path / "lake").as_uri() + "/tastemaker"          # outside the home, as a URI
    s = load_settings(tmp_path / "home")
    s = dataclasses.replace(s, engine=EngineParams(kind="spark", spark=SparkParams(warehouse=lake)))
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_EVENTS)
    with open_engine(s) as engine:
        report = ingest_events(engine, [bad])
        assert engine.events_elsewhere() == lake and lake in engine.location
    assert report.accepted == 4 and (tmp_path / "lake" / "tastemaker" / "events" / "file_id=1").is_dir()
    assert not (tmp_path / "home" / "spark" / "warehouse").exists()
    # the embedded engine cannot read it: the home opens on Spark whatever --engine says ...
    embedded = dataclasses.replace(s, engine=EngineParams(kind="duckdb"))
    with open_engine(embedded, read_only=True) as engine:
        assert engine.kind == "spark" and engine.event_count() == 4
        assert int(np.asarray(engine.interaction_sums(30_000)["plays"]).sum()) >= 100_000
    # ... and the warehouse file alone answers counts but refuses what needs the events
    from tastemaker.engine import DuckDBEngine
    with DuckDBEngine.open(s.warehouse_path, read_only=True) as engine:
        assert engine.event_count() == 4 and engine.table_counts()["quarantine"] == report.quarantined
        with pytest.raises(EngineError, match="kept by the Spark engine"):
            engine.interaction_sums(30_000)
    moved = dataclasses.replace(s, engine=EngineParams(kind="spark", spark=SparkParams(
        warehouse=(tmp_path / "elsewhere").as_uri())))
    with pytest.raises(EngineError, match="kept at .*lake/tastemaker"):
        open_engine(moved)
