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

from ..engine import Engine
from ..ingest.ledger import FileReport, already_ingested, skipped
from ..runs import now
from .documents import Document, parse_date, store_file

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


def tag_documents(engine: Engine, source: str = "lastfm-hetrec") -> int:
    """Turn the tags of `source` into documents (once; later calls add only new groups). Returns how many."""
    return engine.tag_documents(source, now())


def review_documents(engine: Engine, path: str | Path) -> FileReport:
    """Load the review transcripts (see the module docstring) with the ingest rules."""
    path = Path(path)
    sha, earlier = already_ingested(engine, path, "documents")
    if earlier:
        return skipped(path, earlier)
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
    store_file(engine, path, sha, items(), source=str(path), report=report)
    return report
