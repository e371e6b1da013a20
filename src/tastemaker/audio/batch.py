"""Many files at once: worker processes, a content-hash cache, and one bad file never stops a batch.

    >>> for result in run(find_audio(["music/"]), jobs=2, cached=lambda sha: None):
    ...     print(result.path, result.status, result.reason)

Each file is hashed (sha256 of its bytes) in the calling process; `cached(sha)` may return a
stored document, and then the file is not analysed again. The others go to worker processes
(``jobs`` of them; ``jobs=1`` runs in this process). Whatever happens to one file, a decode
error, an estimator bug, even a worker killed by the system, becomes a failed result with its
reason, and the batch goes on. A file that kills its worker twice is failed for that.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import hashlib
import multiprocessing
import os
import time
import traceback
from collections import deque
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..errors import InputError, TastemakerError
from . import analysis
from .io import AUDIO_EXTENSIONS, content_sha256


@dataclasses.dataclass
class Result:
    path: str
    sha256: str
    status: str                # ok | cached | failed
    document: dict             # the analysis document (a failure document when failed)
    reason: str | None = None  # why it failed, or the notes of a partial analysis
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "cached")


def find_audio(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Files named, plus audio files (by extension) found under folders named, sorted, once
    each. A path that does not exist is an `InputError` (a typo should not pass silently)."""
    out, missing = [], []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*")
                              if q.is_file() and q.suffix.lower() in AUDIO_EXTENSIONS))
        elif p.exists():
            out.append(p)
        else:
            missing.append(str(p))
    if missing:
        raise InputError(f"No such file or folder: {', '.join(missing)}")
    seen, unique = set(), []
    for p in out:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def analyse_one(path: str, max_duration: float | None = analysis.MAX_DURATION) -> tuple[str, dict, str | None]:
    """Analyse one file, never raising: ('ok', document, notes) or ('failed', document, reason)."""
    try:
        doc = analysis.analyse_file(path, max_duration=max_duration)
        status = doc["meta"]["detailed_status"]
        return "ok", doc, (status[4:] if status.startswith("OK: ") else None)
    except TastemakerError as exc:
        reason = str(exc)
    except MemoryError:
        reason = f"{path}: out of memory while analysing"
    except Exception as exc:  # an estimator bug must not stop the batch; keep where it was
        where = traceback.extract_tb(exc.__traceback__)[-1]
        reason = (f"{path}: analysis error {type(exc).__name__}: {exc} "
                  f"(at {Path(where.filename).name}:{where.lineno})")
    return "failed", analysis.failure_document(path, reason), reason


def run(paths: list[Path], *, jobs: int = 1, cached: Callable[[str], dict | None] | None = None,
        max_duration: float | None = analysis.MAX_DURATION) -> Iterator[Result]:
    """Analyse `paths`, yielding one `Result` per file as each finishes (order not kept)."""
    todo = deque()
    for p in paths:
        try:
            sha = content_sha256(p)
        except OSError as exc:
            reason = f"{p}: cannot read the file ({exc.strerror or exc})"
            yield Result(str(p), "unreadable:" + hashlib.sha256(str(p).encode()).hexdigest(),
                         "failed", analysis.failure_document(p, reason), reason)
            continue
        doc = cached(sha) if cached else None
        if doc is not None:
            yield Result(str(p), sha, "cached", doc)
            continue
        todo.append((str(p), sha))
    if jobs <= 1:
        for path, sha in todo:
            started = time.perf_counter()
            status, doc, reason = analyse_one(path, max_duration)
            yield Result(path, sha, status, doc, reason, time.perf_counter() - started)
        return
    yield from _run_pool(todo, jobs, max_duration)


def _run_pool(todo: deque, jobs: int, max_duration) -> Iterator[Result]:
    attempts: dict[str, int] = {}
    context = multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")
    while todo:
        pool = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                                      initializer=_init_worker)
        in_flight: dict[cf.Future, tuple[str, str, float]] = {}
        broken = False
        try:
            while (todo or in_flight) and not broken:
                while todo and len(in_flight) < 2 * jobs:
                    path, sha = todo.popleft()
                    fut = pool.submit(analyse_one, path, max_duration)
                    in_flight[fut] = (path, sha, time.perf_counter())
                done, _ = cf.wait(in_flight, return_when=cf.FIRST_COMPLETED)
                for fut in done:
                    path, sha, started = in_flight.pop(fut)
                    try:
                        status, doc, reason = fut.result()
                    except cf.process.BrokenProcessPool:
                        broken = True
                        _retry_or_fail(path, sha, attempts, todo)
                        continue
                    except Exception as exc:  # e.g. a result that cannot be sent back
                        reason = f"{path}: the worker failed ({type(exc).__name__}: {exc})"
                        status, doc = "failed", analysis.failure_document(path, reason)
                    yield Result(path, sha, status, doc, reason, time.perf_counter() - started)
            if broken:
                for path, sha, _ in in_flight.values():
                    _retry_or_fail(path, sha, attempts, todo)
                in_flight.clear()
        finally:
            pool.shutdown(wait=not broken, cancel_futures=True)
        for path, sha in list(todo):
            if attempts.get(path, 0) >= 2:
                todo.remove((path, sha))
                reason = (f"{path}: the worker process analysing it died twice (killed for "
                          f"memory, or a crash in a decoder)")
                yield Result(path, sha, "failed", analysis.failure_document(path, reason), reason)


def _retry_or_fail(path, sha, attempts, todo):
    attempts[path] = attempts.get(path, 0) + 1
    todo.append((path, sha))


def _init_worker() -> None:
    """One thread per worker: the parallelism is across files."""
    os.environ.setdefault("TASTEMAKER_QUIET", "1")
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(1)
    except Exception:  # threadpoolctl is an optimisation, never a reason to fail
        pass
