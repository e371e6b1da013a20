"""Batch runs started from the service (admin): each is the command line's own command in a
child process, so it writes the warehouse as any run does and publishes a new snapshot when it
ends; the service only starts it and reports its state."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Settings
from ..errors import NotFoundError, ParameterError


@dataclass
class Job:
    job_id: str
    command: list[str]
    log: Path
    started_at: str
    process: subprocess.Popen = field(repr=False)

    def state(self) -> dict:
        code = self.process.poll()
        try:
            tail = self.log.read_text(errors="replace").splitlines()[-20:]
        except OSError:
            tail = []
        return {"job_id": self.job_id, "command": " ".join(self.command), "started_at": self.started_at,
                "state": "running" if code is None else ("done" if code == 0 else "failed"),
                "exit_code": code, "output": tail}


class Jobs:
    """At most one batch run at a time (the warehouse has one writer)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, args: list[str]) -> Job:
        with self._lock:
            busy = [j for j in self._jobs.values() if j.process.poll() is None]
            if busy:
                raise Busy(f"Job {busy[0].job_id} ({' '.join(busy[0].command)}) is still running; "
                           f"wait for it (GET /v1/admin/jobs/{busy[0].job_id})")
            job_id = uuid.uuid4().hex[:12]
            folder = self.settings.home / "service" / "jobs"
            folder.mkdir(parents=True, exist_ok=True)
            log = folder / f"{job_id}.log"
            command = ["tastemaker", *args]
            with open(log, "w") as out:
                process = subprocess.Popen([sys.executable, "-m", "tastemaker", "--home", str(self.settings.home),
                                            "--quiet", *args], stdout=out, stderr=subprocess.STDOUT)
            job = Job(job_id, command, log, dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                      process)
            self._jobs[job_id] = job
            return job

    def get(self, job_id: str) -> Job:
        if job_id not in self._jobs:
            raise NotFoundError(f"No job {job_id!r} in this service's life; jobs: "
                                f"{', '.join(self._jobs) or 'none'}")
        return self._jobs[job_id]

    def all(self) -> list[Job]:
        return list(self._jobs.values())


class Busy(ParameterError):
    """A job is running already."""
