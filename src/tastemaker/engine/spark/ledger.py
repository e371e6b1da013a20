"""The ledger's hooks on the Spark engine: quarantined rows are Parquet (`store`), the books of
files stay in the home's DuckDB file (DuckDB's `Ledger`)."""

from __future__ import annotations

import pyarrow as pa

from .warehouse import Warehouse


class Ledger(Warehouse):

    def quarantine(self, file_id: int, rows) -> None:
        if self._store is None:
            return super().quarantine(file_id, rows)
        rows = list(rows)
        if not rows:
            return
        self._stage("quarantine", pa.table({
            "file_id": pa.array([int(file_id)] * len(rows), pa.int32()),
            "line": pa.array([int(r[0]) if r[0] is not None else None for r in rows], pa.int64()),
            "reason": pa.array([r[1] for r in rows], pa.string()),
            "raw": pa.array([r[2] for r in rows], pa.string())}))

    def quarantined_rows(self, file_id: int) -> list[tuple[int, str]]:
        if self._store is None:
            return super().quarantined_rows(file_id)
        frame = self._store.read("quarantine", [file_id] if file_id in self.committed_files() else [])
        if ("quarantine", int(file_id)) in self._store.staged_parts():
            frame = frame.drop("file_id").unionByName(self._store.staged("quarantine", file_id))
        return [(r["line"], r["reason"]) for r in frame.orderBy("line").select("line", "reason").collect()]
