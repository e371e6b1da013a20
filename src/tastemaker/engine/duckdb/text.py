"""The text model's tables: documents, their terms and mentions, top terms, co-mentions, crawl queue."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .connection import Connection


class Text(Connection):

    # -- documents --------------------------------------------------------------------------------
    def next_doc_id(self) -> int:
        return int(self.scalar("SELECT coalesce(max(doc_id), 0) + 1 FROM documents"))

    def document_with_url(self, url: str) -> int | None:
        return self.scalar("SELECT doc_id FROM documents WHERE url = ?", [url])

    def document_with_hash(self, sha256: str) -> int | None:
        return self.scalar("SELECT doc_id FROM documents WHERE content_sha256 = ?", [sha256])

    def insert_documents(self, rows: list[tuple]) -> None:
        if rows:
            self.con.executemany("INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def document_count(self) -> int:
        return int(self.scalar("SELECT count(*) FROM documents"))

    def tag_documents(self, source: str, now) -> int:
        before = self.document_count()
        with self.transaction():
            self.execute("""
            INSERT INTO documents
            WITH g AS (
                SELECT t.artist_idx, t.user_id, t.tagged_at, string_agg(t.tag, chr(10) || chr(10) ORDER BY t.line) AS text,
                       min(t.line) AS line
                FROM artist_tags t WHERE t.source = ? GROUP BY ALL
            ), h AS (
                SELECT g.*, a.artist_id,
                       sha256('tags|' || a.artist_id || '|' || coalesce(g.user_id, '') || '|' ||
                              coalesce(CAST(g.tagged_at AS VARCHAR), '') || '|' || g.text) AS sha
                FROM g JOIN artists a USING (artist_idx)
            )
            SELECT (SELECT coalesce(max(doc_id), 0) FROM documents) + row_number() OVER (ORDER BY h.line),
                   ? || ' tags', h.line, 'tags', NULL, NULL, h.text, h.sha, CAST(h.tagged_at AS TIMESTAMP),
                   h.artist_id, NULL, ?, NULL
            FROM h WHERE h.sha NOT IN (SELECT content_sha256 FROM documents)
            """, [source, source, now])
        return self.document_count() - before

    # -- analysis ---------------------------------------------------------------------------------
    def reset_document_analysis(self) -> None:
        with self.transaction():
            self.execute("DELETE FROM document_terms")
            self.execute("DELETE FROM document_mentions")
            self.execute("UPDATE documents SET analysed_at = NULL")

    def documents_to_analyse(self) -> list[int]:
        return [r[0] for r in self.execute(
            "SELECT doc_id FROM documents WHERE analysed_at IS NULL ORDER BY doc_id").fetchall()]

    def documents_between(self, first: int, last: int) -> list[tuple]:
        return self.execute("""SELECT doc_id, kind, text, artist_hint FROM documents
                               WHERE doc_id BETWEEN ? AND ? AND analysed_at IS NULL ORDER BY doc_id""",
                            [first, last]).fetchall()

    def _insert_rows(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        """Bulk insert through Arrow (row-by-row executemany is far too slow in DuckDB)."""
        if not rows:
            return
        frame = pa.table({c: list(v) for c, v in zip(columns, zip(*rows))})
        with self.registered("_text_rows", frame):
            self.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM _text_rows")

    def store_document_analysis(self, first: int, last: int, terms: list[tuple], mentions: list[tuple],
                                now) -> None:
        with self.transaction():
            self._insert_rows("document_terms", ["doc_id", "kind", "term", "n"], terms)
            self._insert_rows("document_mentions", ["doc_id", "artist_idx", "track_idx", "mentions", "about"],
                              mentions)
            self.execute("UPDATE documents SET analysed_at = ? WHERE doc_id BETWEEN ? AND ? "
                         "AND analysed_at IS NULL", [now, first, last])

    def rebuild_terms(self, *, half_life_days: float, min_support: int, max_terms: int, now) -> int:
        hl = float(half_life_days)
        with self.transaction():
            self.execute("DELETE FROM terms")
            self.execute(f"""
            INSERT INTO terms
            WITH newest AS (SELECT kind, max(published_at) AS t FROM documents GROUP BY kind),
            decay AS (
                SELECT d.doc_id, d.kind,
                       pow(0.5, greatest(date_diff('second', d.published_at, newest.t), 0) / 86400.0 / {hl}) AS f
                FROM documents d JOIN newest USING (kind) WHERE d.published_at IS NOT NULL
            ),
            typical AS (SELECT kind, median(f) AS f FROM decay GROUP BY kind),   -- an undated document
            dw AS (
                SELECT m.doc_id, m.artist_idx, m.track_idx, m.about * coalesce(decay.f, typical.f, 1.0) AS w
                FROM document_mentions m JOIN documents d USING (doc_id) LEFT JOIN decay USING (doc_id)
                     LEFT JOIN typical ON typical.kind = d.kind
                WHERE m.about > 0
            ),
            totals AS (SELECT artist_idx, track_idx, sum(w) AS total FROM dw GROUP BY ALL),
            used AS (
                SELECT dw.artist_idx, dw.track_idx, t.kind, t.term, sum(dw.w) AS w, count(*) AS support
                FROM dw JOIN document_terms t USING (doc_id) GROUP BY ALL
            ),
            n_art AS (SELECT count(DISTINCT artist_idx) AS n FROM dw WHERE track_idx IS NULL),
            df AS (
                SELECT kind, term, count(DISTINCT artist_idx) AS df FROM used
                WHERE track_idx IS NULL AND support >= {int(min_support)} GROUP BY ALL
            ),
            scored AS (
                SELECT u.artist_idx, u.track_idx, u.kind, u.term,
                       u.w / t.total AS probability, u.support,
                       ln(greatest(n_art.n, 2) / coalesce(df.df, 1)) / ln(greatest(n_art.n, 2)) AS rarity
                FROM used u JOIN totals t ON t.artist_idx = u.artist_idx
                     AND t.track_idx IS NOT DISTINCT FROM u.track_idx
                LEFT JOIN df ON df.kind = u.kind AND df.term = u.term, n_art
                WHERE u.support >= {int(min_support)}
            )
            SELECT artist_idx, track_idx, kind, term, probability * greatest(rarity, 0) AS weight,
                   probability, support, ? AS updated_at
            FROM scored
            QUALIFY row_number() OVER (PARTITION BY artist_idx, track_idx, kind
                                       ORDER BY probability * greatest(rarity, 0) DESC, term) <= {int(max_terms)}
            """, [now])
        return int(self.scalar("SELECT count(*) FROM terms"))

    def comentioned_artists(self, artist_idx: int, n: int) -> list[tuple[int, float, int]]:
        return self.execute("""SELECT other_idx, weight, documents FROM artist_comentions WHERE artist_idx = ?
                               ORDER BY weight DESC, other_idx LIMIT ?""", [int(artist_idx), int(n)]).fetchall()

    def rebuild_comentions(self) -> int:
        with self.transaction():
            self.execute("DELETE FROM artist_comentions")
            self.execute("""
            INSERT INTO artist_comentions
            WITH m AS (SELECT DISTINCT doc_id, artist_idx FROM document_mentions WHERE track_idx IS NULL)
            SELECT a.artist_idx, b.artist_idx, count(*)::DOUBLE, count(*)
            FROM m a JOIN m b ON a.doc_id = b.doc_id AND a.artist_idx <> b.artist_idx
            GROUP BY ALL
            """)
        return int(self.scalar("SELECT count(*) FROM artist_comentions"))

    # -- what the vectors, reasons and queries read ------------------------------------------------
    def artist_term_rows(self) -> dict[str, np.ndarray]:
        return self.numpy("SELECT artist_idx, kind, term, weight FROM terms WHERE track_idx IS NULL")

    def artist_document_support(self) -> tuple[np.ndarray, np.ndarray]:
        cols = self.numpy("""SELECT artist_idx, sum(about) AS n FROM document_mentions
                             WHERE track_idx IS NULL AND about > 0 GROUP BY 1""")
        return np.asarray(cols["artist_idx"], dtype=np.int64), np.asarray(cols["n"], dtype=np.float64)

    def top_terms(self, artist_idx: int, track_idx: int | None, kind: str, n: int) -> list[tuple]:
        return self.execute(
            """SELECT term, weight, support FROM terms WHERE artist_idx = ? AND track_idx IS NOT DISTINCT FROM ?
               AND kind = ? ORDER BY weight DESC, term LIMIT ?""", [artist_idx, track_idx, kind, n]).fetchall()

    def artist_descriptors(self, kinds: tuple[str, ...], n: int = 3) -> dict[int, str]:
        rows = self.execute(f"""
            SELECT artist_idx, string_agg(term, ', ' ORDER BY weight DESC) FROM (
                SELECT t.artist_idx, t.term, t.weight, row_number() OVER (PARTITION BY t.artist_idx
                       ORDER BY t.weight DESC, t.term) AS r
                FROM terms t JOIN artists a USING (artist_idx)
                WHERE t.track_idx IS NULL AND list_contains(?, t.kind)
                  AND position(lower(a.name) IN lower(t.term)) = 0
                  AND position(lower(t.term) IN lower(a.name)) = 0)
            WHERE r <= {int(n)} GROUP BY 1""", [list(kinds)]).fetchall()
        return {int(a): w for a, w in rows}

    def documents_about_artists(self, kinds: tuple[str, ...] | None) -> list[tuple[int, str]]:
        return self.execute("""SELECT doc_id, text FROM documents d
                               WHERE (? IS NULL OR list_contains(?, d.kind)) AND EXISTS (
                                  SELECT 1 FROM document_mentions m WHERE m.doc_id = d.doc_id
                                  AND m.track_idx IS NULL AND m.about > 0)
                               ORDER BY doc_id""", [kinds and list(kinds)] * 2).fetchall()

    def artist_document_weights(self, kinds: tuple[str, ...] | None) -> dict[str, np.ndarray]:
        return self.numpy("""SELECT m.doc_id, m.artist_idx, m.about FROM document_mentions m JOIN documents d USING (doc_id)
                             WHERE m.track_idx IS NULL AND m.about > 0 AND (? IS NULL OR list_contains(?, d.kind))""",
                          [kinds and list(kinds)] * 2)

    # -- the crawl queue --------------------------------------------------------------------------
    def enqueue_urls(self, rows: list[tuple[str, str, int]], now) -> None:
        for url, host, depth in rows:
            self.execute("INSERT OR IGNORE INTO crawl_queue VALUES (?, ?, ?, 'queued', 0, NULL, NULL, NULL, ?)",
                         [url, host, depth, now])

    def queued_urls(self, limit: int = 200) -> list[tuple]:
        return self.execute(f"""SELECT url, host, depth, attempts, updated_at FROM crawl_queue
                                WHERE status = 'queued' ORDER BY depth, updated_at, url LIMIT {int(limit)}""").fetchall()

    def queued_count(self) -> int:
        return int(self.scalar("SELECT count(*) FROM crawl_queue WHERE status = 'queued'"))

    def mark_url(self, url: str, status: str, *, reason=None, nbytes=None, doc_id=None, attempts=None,
                 updated_at) -> None:
        self.execute("""UPDATE crawl_queue SET status = ?, reason = ?, bytes = coalesce(?, bytes),
                        doc_id = coalesce(?, doc_id), attempts = coalesce(?, attempts), updated_at = ? WHERE url = ?""",
                     [status, reason, nbytes, doc_id, attempts, updated_at, url])
