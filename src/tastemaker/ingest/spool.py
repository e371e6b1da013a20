"""Events posted to the service wait in ``HOME/spool/`` until the next ``tastemaker ingest spool``.

A post is checked at once by the rules of file ingest (the same SQL, on an in-memory warehouse),
so the client learns which rows will be quarantined and why; then the whole post is written to
the spool as one JSON Lines file, named after its idempotency key: posting the same key again
writes nothing and answers as the first time did. Ingest takes the spool's files like any other
(rows read = accepted + quarantined, re-ingest adds nothing) and moves them to
``HOME/spool-done/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from ..config import Settings
from ..engine import DuckDBEngine, Engine
from . import IngestReport, ReadOptions, ingest_events


def folder(settings: Settings) -> Path:
    return settings.home / "spool"


def _answers(settings: Settings) -> Path:
    return settings.home / "service" / "posts"


def post(settings: Settings, events: list[dict], idempotency_key: str | None) -> tuple[dict, bool]:
    """Check and spool one post; (the answer, whether it replays an earlier post of that key)."""
    body = "".join(json.dumps(e, default=str) + "\n" for e in events)
    key = idempotency_key or hashlib.sha256(body.encode()).hexdigest()
    name = hashlib.sha256(key.encode()).hexdigest()[:32]
    answer_path = _answers(settings) / f"{name}.json"
    if answer_path.exists():
        return json.loads(answer_path.read_text()), True
    spool = folder(settings)
    spool.mkdir(parents=True, exist_ok=True)
    answer_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=spool.parent) as tmp:
        staged = Path(tmp) / f"{name}.jsonl"
        staged.write_text(body, encoding="utf-8")
        with DuckDBEngine.open(None) as scratch:          # the rules of ingest, nothing kept
            report = ingest_events(scratch, [staged], options=ReadOptions(format="jsonl"),
                                   params=settings.ingest)
            rows = scratch.quarantined_rows(scratch.ingested_file_id(str(staged)) or 1)
        file = report.files[0]
        answer = {"received": len(events), "accepted": file.accepted, "quarantined": file.quarantined,
                  "rejected": [{"index": int(line) - 1, "reason": reason} for line, reason in rows],
                  "spooled_as": f"{name}.jsonl", "idempotency_key": key}
        if file.status == "rejected":
            answer["rejected"] = [{"index": None, "reason": file.message}]
        os.replace(staged, spool / f"{name}.jsonl")
    tmp_answer = answer_path.with_suffix(".tmp")
    tmp_answer.write_text(json.dumps(answer))
    os.replace(tmp_answer, answer_path)
    return answer, False


def ingest_spool(engine: Engine, settings: Settings) -> IngestReport:
    """Ingest the spool's files; each one ingested (or already ingested) moves to spool-done/."""
    spool = folder(settings)
    files = sorted(spool.glob("*.jsonl")) if spool.is_dir() else []
    report = ingest_events(engine, files, options=ReadOptions(format="jsonl"), params=settings.ingest)
    done = settings.home / "spool-done"
    done.mkdir(parents=True, exist_ok=True)
    for f in report.files:
        if f.status in ("ingested", "skipped"):
            os.replace(f.path, done / Path(f.path).name)
    return report
