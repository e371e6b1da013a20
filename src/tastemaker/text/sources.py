"""Text that comes with public datasets, as documents.

- `tag_documents`: the Last.fm HetRec tags already in ``artist_tags`` become one document per
  (artist, tagger, day), one tag per paragraph, kind ``tags``, dated by the tagging day.
- `review_documents`: The Needle Drop transcripts (``needledrop_transcripts.jsonl.gz``; research
  and evaluation use only, see its SOURCE.md). Only reliably assigned artists (``artist_source``
  ``youtube_title`` or ``intro_exact_hetrec_name``) become the subject; the spoken intro and
  sign-off boilerplate and caption tags are removed first.
- Last.fm wiki biographies (``lastfm_wiki_bios.tsv.gz``) need no code of their own:
  ``tastemaker ingest documents lastfm_wiki_bios.tsv.gz --kind bio`` (``artist_name`` is the subject).
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

from ..ingest import FileReport
from ..ingest.load import sha256_of
from ..warehouse import Warehouse
from .documents import Document, _now, parse_date, store_documents

RELIABLE = ("youtube_title", "intro_exact_hetrec_name")

_INTRO = re.compile(r"^.{0,400}?\b(?:busiest music nerd|music nerd)\b.{0,200}?\b(?:review of|time for a review)\b",
                    re.IGNORECASE | re.DOTALL)
_OUTRO = re.compile(r"\b(?:did you love (?:it|this)|you've given this (?:album|record)|"
                    r"what would you rate|what should i review next|transition)\b.*$",
                    re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"\[(?:music|applause|laughter|__)\]", re.IGNORECASE)
_FILLER = re.compile(r"\b(?:anthony fantano|fantano|subscribe|the internet's busiest music nerd|"
                     r"hi everyone|hey everyone)\b", re.IGNORECASE)


def strip_review_boilerplate(text: str) -> str:
    """A transcript without its host intro, sign-off, caption tags and channel phrases."""
    text = _TAGS.sub(" ", text)
    text = _INTRO.sub(" ", text, count=1)
    cut = _OUTRO.search(text, len(text) // 2)      # the sign-off is in the second half
    if cut:
        text = text[:cut.start()]
    return " ".join(_FILLER.sub(" ", text).split())


def tag_documents(wh: Warehouse, source: str = "lastfm-hetrec") -> int:
    """Turn ``artist_tags`` into documents (once; later calls add only new groups). Returns how many."""
    before = int(wh.scalar("SELECT count(*) FROM documents"))
    with wh.transaction():
        wh.execute("""
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
        """, [source, source, _now()])
    return int(wh.scalar("SELECT count(*) FROM documents")) - before


def review_documents(wh: Warehouse, path: str | Path) -> FileReport:
    """Load the review transcripts (see the module docstring) with the ingest rules."""
    path = Path(path)
    sha = sha256_of(path)
    earlier = wh.one("SELECT path FROM ingested_files WHERE sha256 = ? AND target = 'documents'", [sha])
    if earlier:
        return FileReport(str(path), "skipped", message=f"same content already ingested from {earlier[0]}")

    def items():
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for i, raw in enumerate(fh, start=1):
                try:
                    row = json.loads(raw)
                except json.JSONDecodeError as exc:
                    yield (i, f"invalid JSON: {exc.msg}", raw[:2000])
                    continue
                text = strip_review_boilerplate(row.get("text") or "")
                if len(text.split()) < 30:
                    yield (i, "empty text: under 30 words once the boilerplate is removed", raw[:300])
                    continue
                reliable = row.get("artist_source") in RELIABLE
                yield Document(text=text, title=row.get("youtube_title"),
                               url=f"https://www.youtube.com/watch?v={row['video_id']}" if row.get("video_id") else None,
                               published_at=parse_date(row.get("published")),
                               artist=row.get("artist") if reliable else None, kind="review", line=i)

    report = FileReport(str(path), "ingested")
    with wh.transaction():
        file_id = int(wh.scalar("SELECT coalesce(max(file_id), 0) + 1 FROM ingested_files"))
        store_documents(wh, items(), source=str(path), file_id=file_id, report=report)
        wh.execute("INSERT INTO ingested_files VALUES (?, ?, ?, 'documents', ?, ?, ?, ?)",
                   [file_id, str(path), sha, _now(), report.rows_read, report.accepted, report.quarantined])
    return report
