"""The Spark session of a home: started once per process, from ``[engine.spark]``, quiet.

    >>> spark = session(settings)          # local[2] by default; the same object on every call

PySpark is an optional dependency (``pip install 'tastemaker[spark]'``, or ``make
install-spark``); Spark 4 needs Java 17 or newer. Both are checked before anything starts, with
a message that says what to install. Python workers run this same interpreter.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

from ...config import Settings
from ...errors import TastemakerError

_SESSION = None
_SIGNATURE = None

#: Spark's own log: errors only (its start-up warnings are not the user's business)
_LOG4J = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = spark %p %c{1}: %m%n
"""


class SparkUnavailable(TastemakerError):
    """The Spark engine was asked for but PySpark or Java is missing (the message says what to install)."""


def java_major() -> int | None:
    """The major version of the ``java`` on PATH (or under JAVA_HOME), None when there is none."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not Path(java).exists():
        return None
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.SubprocessError):
        return None
    for token in out.replace('"', " ").split():
        head = token.split(".")[0]
        if head.isdigit() and ("." in token or token.isdigit()):
            major = int(head)
            return int(token.split(".")[1]) if major == 1 else major
    return None


def check_available() -> None:
    """Raise `SparkUnavailable` unless PySpark imports and Java ≥ 17 is there."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise SparkUnavailable("The Spark engine needs PySpark: run `make install-spark` (or "
                               "pip install 'tastemaker[spark]') in this environment") from None
    major = java_major()
    if major is None:
        raise SparkUnavailable("The Spark engine needs Java 17 or newer: none found on PATH or under "
                               "JAVA_HOME (Debian: apt-get install openjdk-17-jre-headless)")
    if major < 17:
        raise SparkUnavailable(f"The Spark engine needs Java 17 or newer; this machine's java is {major} "
                               f"(set JAVA_HOME to a newer one)")


def submitted() -> bool:
    """Whether this process was started by ``spark-submit`` (its driver JVM is already running)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def checkpoint_dir(settings: Settings) -> str:
    """Where ALS checkpoints its lineage: ``[engine.spark] checkpoint_dir`` or HOME/spark/checkpoints."""
    return settings.engine.spark.checkpoint_dir or str(settings.spark_dir / "checkpoints")


def session(settings: Settings):
    """The process's Spark session for `settings` (started on the first call; the same one after,
    while the master and settings stay the same)."""
    global _SESSION, _SIGNATURE
    params = settings.engine.spark
    signature = (params.master, params.driver_memory, tuple(sorted(params.conf.items())))
    if _SESSION is not None and _SIGNATURE == signature:
        return _SESSION
    check_available()
    from pyspark.sql import SparkSession

    settings.spark_dir.mkdir(parents=True, exist_ok=True)
    log4j = settings.spark_dir / "log4j2.properties"
    if not log4j.exists() or log4j.read_text() != _LOG4J:
        log4j.write_text(_LOG4J)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    if _SESSION is not None:
        _SESSION.stop()
    java_opts = f"-Dlog4j.configurationFile=file:{log4j}"
    shared = {
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.session.timeZone": "UTC",
        **params.conf,
    }
    if submitted():
        # spark-submit started the driver: its master, memory and JVM options stand
        builder = SparkSession.builder.appName("tastemaker")
        conf = shared
    else:
        builder = SparkSession.builder.master(params.master).appName("tastemaker")
        conf = {
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.driver.memory": params.driver_memory,
            "spark.driver.extraJavaOptions": java_opts,
            "spark.executor.extraJavaOptions": java_opts,
            "spark.sql.shuffle.partitions": "8",
            **shared,
        }
    for key, value in conf.items():
        builder = builder.config(key, value)
    with warnings.catch_warnings(), _stderr_to(settings.home / "logs" / "spark.log"):
        warnings.simplefilter("ignore", FutureWarning)       # PySpark on pandas 3
        spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    _quiet_python_loggers()
    _SESSION, _SIGNATURE = spark, signature
    return spark


def _quiet_python_loggers() -> None:
    """PySpark logs every failed query as JSON on stderr before raising it; the error reaches the
    user once, through the CLI's boundary (and its traceback the home's log)."""
    from pyspark.logger import PySparkLogger

    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).disabled = True


@contextlib.contextmanager
def _stderr_to(path: Path):
    """Point file descriptor 2 at `path` (appended) while the JVM starts: the driver inherits it,
    so the JVM's own chatter (module warnings, native BLAS probes, Spark's log) goes to the home's
    log instead of the user's terminal. Failures still reach the user as Python exceptions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(path, "ab") as log:
            os.dup2(log.fileno(), 2)
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def stop() -> None:
    """Stop the process's session (the next `session` starts a new one)."""
    global _SESSION, _SIGNATURE
    if _SESSION is not None:
        _SESSION.stop()
    _SESSION = _SIGNATURE = None
