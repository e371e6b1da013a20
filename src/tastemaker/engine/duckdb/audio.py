"""Audio in the warehouse: the analyser's results (by content hash and by file) and the audio
model's predicted vectors."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .connection import Connection

#: the analysis columns stored beside the document
ANALYSIS_COLUMNS = ("duration", "loudness", "tempo", "tempo_confidence", "key", "key_confidence", "mode",
                    "mode_confidence", "time_signature", "time_signature_confidence")


class Audio(Connection):

    # -- the analyser -----------------------------------------------------------------------------
    def cached_analysis(self, sha256: str, analyser_version: str) -> str | None:
        row = self.one("SELECT analysis FROM audio_analyses WHERE content_sha256 = ? AND "
                       "status = 'ok' AND analyser_version = ?", [sha256, analyser_version])
        return row[0] if row else None

    def save_analysis(self, *, sha256: str, path: str, analyser_version: str, status: str, reason,
                      values: dict, features: str | None, analysis: str, analysed_at) -> None:
        self.execute(
            "INSERT OR REPLACE INTO audio_analyses (content_sha256, path, track_idx, "
            "analyser_version, status, reason, " + ", ".join(ANALYSIS_COLUMNS) +
            ", features, analysis, analysed_at) VALUES (?, ?, NULL, ?, ?, ?, "
            + ", ".join("?" * len(ANALYSIS_COLUMNS)) + ", ?, ?, ?)",
            [sha256, path, analyser_version, status, reason, *(values.get(c) for c in ANALYSIS_COLUMNS),
             features, analysis, analysed_at])

    def save_audio_file(self, path: str, stem: str, sha256: str, seen_at) -> None:
        self.execute("INSERT OR REPLACE INTO audio_files VALUES (?, ?, ?, NULL, ?)", [path, stem, sha256, seen_at])

    def link_audio_files(self) -> int:
        with self.transaction():
            self.execute("""
                UPDATE audio_files SET track_idx = m.track_idx
                FROM (
                    SELECT f.path, coalesce(
                        (SELECT min(t.track_idx) FROM tracks t WHERE t.uri = f.path),
                        (SELECT min(t.track_idx) FROM tracks t WHERE t.track_id = f.stem)) AS track_idx
                    FROM audio_files f
                ) m
                WHERE audio_files.path = m.path
            """)
            self.execute("""
                UPDATE audio_analyses SET track_idx = f.track_idx
                FROM audio_files f
                WHERE f.content_sha256 = audio_analyses.content_sha256 AND f.path = audio_analyses.path
            """)
        return int(self.scalar("SELECT count(*) FROM audio_files WHERE track_idx IS NOT NULL"))

    def analysis_failures(self, paths: list[str]) -> list[tuple[str, str | None]]:
        return self.execute(
            "SELECT f.path, a.reason FROM audio_files f JOIN audio_analyses a USING (content_sha256) "
            "WHERE a.status = 'failed' AND f.path IN (SELECT unnest(?::VARCHAR[])) ORDER BY f.path",
            [list(paths)]).fetchall()

    def track_analysis(self, track_idx: int) -> tuple[str | None, str | None] | None:
        row = self.one("""SELECT analysis, features FROM audio_analyses WHERE track_idx = ? AND status = 'ok'
                          ORDER BY analysed_at DESC, content_sha256 LIMIT 1""", [int(track_idx)])
        return (row[0], row[1]) if row else None

    # -- the audio model's vectors ----------------------------------------------------------------
    def store_audio_vectors(self, model_version: str, table: pa.Table, computed_at) -> None:
        with self.transaction(), self.registered("audio_batch", table):
            self.execute("DELETE FROM audio_vectors WHERE model_version = ? AND track_idx IN "
                         "(SELECT track_idx FROM audio_batch)", [model_version])
            self.execute("""INSERT INTO audio_vectors SELECT track_idx, ?, status, reason, path, sha, short,
                            vector, embedding, ? FROM audio_batch""", [model_version, computed_at])

    def audio_vectors(self, model_version: str, *, embeddings: bool = False) -> tuple[np.ndarray, list]:
        col = "embedding" if embeddings else "vector"
        cols = self.numpy(f"SELECT track_idx, {col} AS v FROM audio_vectors WHERE model_version = ? "
                          f"AND status = 'ok' ORDER BY track_idx", [model_version])
        return np.asarray(cols["track_idx"], dtype=np.int64), list(cols["v"])

    def audio_vector_tracks(self, model_version: str) -> np.ndarray:
        return np.asarray(self.numpy("SELECT track_idx FROM audio_vectors WHERE model_version = ?",
                                     [model_version])["track_idx"], dtype=np.int64)
