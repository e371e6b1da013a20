"""The ledger of files: what was ingested (by content hash), rejected, quarantined, and which
public datasets were loaded. `tastemaker.ingest.ledger` keeps the books through these hooks."""

from __future__ import annotations

import datetime as dt

from ...errors import ParameterError
from .connection import Connection

#: the tables `table_counts` may count
_TABLES = {"users", "artists", "tracks", "events", "interactions", "quarantine", "playlists", "artist_tags",
           "documents", "terms", "audio_analyses", "audio_vectors", "rejected_files", "ingested_files", "runs", "id_spellings"}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Ledger(Connection):

    def ingested_path(self, sha256: str, target: str) -> str | None:
        row = self.one("SELECT path FROM ingested_files WHERE sha256 = ? AND target = ? ORDER BY file_id LIMIT 1",
                       [sha256, target])
        return row[0] if row else None

    def next_file_id(self) -> int:
        return int(self.scalar("SELECT coalesce(max(file_id), 0) + 1 FROM ingested_files"))

    def record_ingested(self, file_id: int, path: str, sha256: str, target: str, *, rows_read: int,
                        accepted: int, quarantined: int, size: int | None = None,
                        lines: int | None = None) -> None:
        self.execute("INSERT INTO ingested_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     [file_id, path, sha256, target, _now(), rows_read, accepted, quarantined, size, lines])

    def ingested_under_path(self, path: str, target: str) -> list[tuple[str, int, int, str]]:
        return self.execute("""SELECT sha256, bytes, lines, CAST(ingested_at AS VARCHAR) FROM ingested_files
                               WHERE path = ? AND target = ? AND bytes IS NOT NULL
                               ORDER BY bytes DESC""", [path, target]).fetchall()

    def record_rejected(self, path: str, sha256: str | None, target: str, reason: str) -> None:
        self.execute("INSERT INTO rejected_files VALUES (?, ?, ?, ?, ?)", [path, sha256, target, reason, _now()])

    def quarantined_rows(self, file_id: int) -> list[tuple[int, str]]:
        return self.execute("SELECT line, reason FROM quarantine WHERE file_id = ? ORDER BY line",
                            [file_id]).fetchall()

    def quarantine(self, file_id: int, rows) -> None:
        rows = [(file_id, int(line) if line is not None else None, reason, raw) for line, reason, raw in rows]
        if rows:
            self.con.executemany("INSERT INTO quarantine VALUES (?, ?, ?, ?)", rows)

    def ingested_file_id(self, path: str) -> int | None:
        return self.scalar("SELECT file_id FROM ingested_files WHERE path = ? ORDER BY file_id DESC LIMIT 1", [path])

    def relabel_ingested(self, file_id: int, path: str, sha256: str, *, rows_read: int, quarantined: int) -> None:
        self.execute("UPDATE ingested_files SET path = ?, sha256 = ?, rows_read = ?, rows_quarantined = ? "
                     "WHERE file_id = ?", [path, sha256, rows_read, quarantined, file_id])

    def relabel_rejected(self, old_path: str, path: str, sha256: str | None) -> None:
        self.execute("UPDATE rejected_files SET path = ?, sha256 = ? WHERE path = ?", [path, sha256, old_path])

    def latest_catalogue_file(self) -> str | None:
        return self.scalar("SELECT path FROM ingested_files WHERE target = 'catalog' "
                           "ORDER BY ingested_at DESC, file_id DESC LIMIT 1")

    def rejected_count(self) -> int:
        return int(self.scalar("SELECT count(*) FROM rejected_files"))

    # -- public datasets --------------------------------------------------------------------------
    def loaded_datasets(self) -> list[str]:
        return [n for (n,) in self.execute("SELECT DISTINCT name FROM dataset_loads ORDER BY 1").fetchall()]

    def record_dataset_load(self, name: str, path: str, *, rows_read: int, accepted: int, quarantined: int) -> None:
        self.execute("INSERT INTO dataset_loads VALUES (?, ?, ?, ?, ?, ?)",
                     [name, path, _now(), rows_read, accepted, quarantined])

    def table_counts(self, names=None) -> dict[str, int]:
        names = names or ("users", "artists", "tracks", "events", "interactions", "quarantine", "playlists")
        unknown = set(names) - _TABLES
        if unknown:
            raise ParameterError(f"No table {sorted(unknown)} to count; the tables are {sorted(_TABLES)}")
        counts = {n: int(self.scalar(f"SELECT count(*) FROM {n}")) for n in names}
        if self.events_elsewhere():        # kept by the Spark engine; their counts are here
            stats = self._events_stats()
            counts.update({n: int(stats["rows" if n == "events" else "quarantined"])
                           for n in ("events", "quarantine") if n in counts})
        return counts
