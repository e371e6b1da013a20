"""Run records: one row per train, weekly or evaluate run (`write_run` is their only writer)."""

from __future__ import annotations

import json

from .connection import Connection


class Runs(Connection):

    def write_run(self, run) -> None:
        self.execute("INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     [run.run_id, run.kind, run.week, run.started_at, run.finished_at, run.status,
                      run.model_version, json.dumps(run.params, default=str)])

    def run_status(self, run_id: str) -> str | None:
        return self.scalar("SELECT status FROM runs WHERE run_id = ?", [run_id])

    def _delete_run(self, run_id: str) -> None:
        self.execute("DELETE FROM runs WHERE run_id = ?", [run_id])
