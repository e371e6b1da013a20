"""The engine protocol: every hook the engine-independent code calls, documented once.

An engine holds the warehouse (events, catalogue, documents, analyses, playlists, runs) and runs
the data-heavy steps on it. The orchestration — ingest's bookkeeping, training, the week, the
evaluation, the query layer — lives outside ``tastemaker.engine`` and calls only these hooks.
Each hook is a unit of work that an engine can run its own way: it takes plain values (ids,
ISO times, Arrow tables) and returns NumPy arrays, Arrow tables, rows or numbers.

Conventions:

* Ids are the warehouse's dense indices (``user_idx``, ``track_idx``, ``artist_idx``, assigned at
  ingest and never changed); the user's own ids (``user_id``, ``track_id``) appear only in lookups.
* A time bound (``until``, ``since``) is a `datetime.datetime` or an ISO string, in UTC;
  ``since <= ts < until``.
* A column dictionary maps column names to 1-D NumPy arrays of one length (masked arrays where a
  value can be missing).
* Writes are atomic per hook. `transaction` groups several hooks into one unit (all or nothing,
  Ctrl-C included) where a step must write several things together (one ingested file, one
  batch of analysed documents).

The embedded engine (`tastemaker.engine.duckdb.DuckDBEngine`) implements every hook; a test
checks that nothing outside ``tastemaker.engine`` runs SQL.
"""

from __future__ import annotations

import abc
import collections
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class BatchResult:
    """What one ingested batch gave: rows read, rows rejected (quarantined), why (reason counts)."""

    rows: int
    rejected: int
    reasons: collections.Counter = field(default_factory=collections.Counter)


class Engine(abc.ABC):
    """Where the warehouse lives and what runs on it. Open one with `tastemaker.engine.open_engine`."""

    #: the engine's name (``duckdb``, ``spark``)
    kind: str = "engine"

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    @abc.abstractmethod
    def location(self) -> str:
        """Where the warehouse lives (a file, a folder or a URI), for manifests and messages."""

    @abc.abstractmethod
    def scratch_dir(self) -> Path | None:
        """A local folder for large temporary files of a step (None: the system's temporary folder)."""

    @abc.abstractmethod
    def transaction(self):
        """A context manager: the hooks called inside it take effect together or not at all."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the warehouse (the engine cannot be used after)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- events and interactions ----------------------------------------------------------------
    @abc.abstractmethod
    def interaction_sums(self, min_play_ms: int, *, until=None, since=None,
                         from_table: bool = False) -> dict[str, np.ndarray]:
        """One row per (user, track) heard in [since, until): columns ``user_idx``, ``track_idx``,
        ``plays``, ``short_plays`` (plays under ``min_play_ms``), ``saves``, ``skips``,
        ``artist_visits``, ``dislikes`` (`tastemaker.engine.sql.interactions`). Events without a timestamp
        count only when both bounds are None. ``from_table``: the materialised interactions."""

    @abc.abstractmethod
    def materialize_interactions(self, min_play_ms: int, *, force: bool = True) -> int:
        """Rebuild the materialised interactions from every event, atomically; with
        ``force=False`` only when the events changed since the last build. Returns their count."""

    @abc.abstractmethod
    def new_plays(self, min_play_ms: int, *, since, until) -> tuple[np.ndarray, np.ndarray]:
        """(user_idx, track_idx) of the pairs with a full-length play in [since, until)."""

    @abc.abstractmethod
    def event_span(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The first and last event timestamps (None, None without timestamps)."""

    @abc.abstractmethod
    def untimed_events(self) -> int:
        """How many events have no timestamp."""

    @abc.abstractmethod
    def event_count(self) -> int:
        """How many events the warehouse holds."""

    @abc.abstractmethod
    def events_elsewhere(self) -> str | None:
        """Where the home's events are kept when this warehouse file does not hold them (the
        Spark engine's Parquet, a path or URI), else None."""

    @abc.abstractmethod
    def track_play_counts(self, min_play_ms: int, *, until=None, since=None
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(track_idx, listeners, plays) of the tracks played (at least ``min_play_ms`` per row,
        or of unknown duration) in [since, until)."""

    @abc.abstractmethod
    def interaction_plays(self) -> tuple[np.ndarray, np.ndarray]:
        """(track_idx, full-length plays) from the materialised interactions."""

    # -- catalogue ------------------------------------------------------------------------------
    @abc.abstractmethod
    def dimensions(self) -> tuple[int, int]:
        """(n_users, n_tracks): one more than the largest dense index of each."""

    @abc.abstractmethod
    def n_artists(self) -> int:
        """One more than the largest ``artist_idx``."""

    @abc.abstractmethod
    def track_catalogue(self) -> dict[str, np.ndarray]:
        """Every track: ``track_idx``, ``artist_idx`` (-1 unknown), ``released`` (datetime64[D],
        NaT unknown), ``available`` (bool)."""

    @abc.abstractmethod
    def artist_names(self) -> dict[str, np.ndarray]:
        """Every artist: ``artist_idx``, ``artist_id``, ``name`` (object, None unknown)."""

    @abc.abstractmethod
    def track_sound(self, n_items: int, *, catalogue: bool = True) -> dict[str, np.ndarray]:
        """``track_idx``, ``tempo``, ``key``, ``mode``, ``loudness`` of the tracks below
        ``n_items`` that have them: the latest successful analysis of each, else (with
        ``catalogue``) the values the catalogue row carried in its attributes."""

    @abc.abstractmethod
    def track_uris(self) -> tuple[np.ndarray, list[str]]:
        """(track_idx, uri) of the tracks whose catalogue row says where the audio is."""

    @abc.abstractmethod
    def titled_tracks(self) -> list[tuple[int, int, str]]:
        """(track_idx, artist_idx, title) of the tracks whose title is not their artist's name."""

    @abc.abstractmethod
    def user_index(self, user_id: str) -> int | None:
        """The ``user_idx`` of a ``user_id``, or None."""

    @abc.abstractmethod
    def user_ids(self) -> np.ndarray:
        """Every user's own id (object), at its ``user_idx`` (None where no user has that index)."""

    @abc.abstractmethod
    def track_listing(self) -> dict[str, np.ndarray]:
        """What a list shows of every track, at its ``track_idx``: ``track_id``, ``title``,
        ``artist`` (name), ``album``, ``uri`` (object, None unknown) and ``duration_ms`` (int64,
        -1 unknown)."""

    @abc.abstractmethod
    def recording_ids(self, track_ids: list[str]) -> dict[str, str]:
        """{track_id: MusicBrainz recording id} of those of `track_ids` whose catalogue row
        carries one (attribute ``mbid``, ``recording_mbid`` or ``musicbrainz_recording_id``)."""

    @abc.abstractmethod
    def match_rows(self) -> list[tuple]:
        """What track matching knows of every track: (track_id, artist name, title, duration_ms,
        MusicBrainz recording id, ISRC), None where unknown (ids from the catalogue's attributes
        ``mbid``/``recording_mbid``/``musicbrainz_recording_id`` and ``isrc``)."""

    @abc.abstractmethod
    def track_index(self, track_id: str) -> int | None:
        """The ``track_idx`` of a ``track_id``, or None."""

    @abc.abstractmethod
    def artist_index(self, key: str) -> tuple[int, str] | None:
        """(artist_idx, display name) of the artist whose id is `key` or whose name is `key`
        (case-insensitive; the id wins), or None."""

    @abc.abstractmethod
    def artist_track_index(self, artist_idx: int, key: str) -> int | None:
        """The track of an artist whose id or title (case-insensitive) is `key`, or None."""

    @abc.abstractmethod
    def labels(self, kind: str, idx) -> dict[int, tuple[str, str]]:
        """{index: (own id, display name)} of users, tracks or artists (``kind``)."""

    @abc.abstractmethod
    def track_details(self, track_idx: int) -> dict | None:
        """A track's catalogue row with its artist (id and name), or None."""

    # -- the ledger of files ----------------------------------------------------------------------
    @abc.abstractmethod
    def ingested_path(self, sha256: str, target: str) -> str | None:
        """The path a file with this content was first ingested from into `target`, or None."""

    @abc.abstractmethod
    def next_file_id(self) -> int:
        """The id the next ingested file gets (call inside the file's transaction)."""

    @abc.abstractmethod
    def copy_to(self, path: Path) -> None:
        """Write a consistent copy of the whole warehouse to `path` (a new file), for readers
        that must not wait for this writer (`tastemaker.snapshots`)."""

    @abc.abstractmethod
    def record_ingested(self, file_id: int, path: str, sha256: str, target: str, *, rows_read: int,
                        accepted: int, quarantined: int, size: int | None = None,
                        lines: int | None = None) -> None:
        """Record a file as ingested into `target` (events, catalog, documents, artist_tags, …),
        with its size in bytes and line breaks where known (to recognise it when it grows)."""

    @abc.abstractmethod
    def ingested_under_path(self, path: str, target: str) -> list[tuple[str, int, int, str]]:
        """(sha256, bytes, lines, ingested_at) of the files ingested into `target` from `path`
        whose size was recorded, largest first."""

    @abc.abstractmethod
    def record_rejected(self, path: str, sha256: str | None, target: str, reason: str) -> None:
        """Record a file that could not be read at all, with the reason."""

    @abc.abstractmethod
    def quarantined_rows(self, file_id: int) -> list[tuple[int, str]]:
        """(line, reason) of the rows of a file that were quarantined, by line."""

    @abc.abstractmethod
    def quarantine(self, file_id: int, rows) -> None:
        """Keep rejected rows of a file: an iterable of (line, reason, raw row as read)."""

    @abc.abstractmethod
    def ingested_file_id(self, path: str) -> int | None:
        """The id of the (latest) file ingested from `path`, or None."""

    @abc.abstractmethod
    def relabel_ingested(self, file_id: int, path: str, sha256: str, *, rows_read: int, quarantined: int) -> None:
        """Record an ingested rewrite under its original's path and content hash (and counts)."""

    @abc.abstractmethod
    def relabel_rejected(self, old_path: str, path: str, sha256: str | None) -> None:
        """Record a rejected rewrite under its original's path and content hash."""

    @abc.abstractmethod
    def latest_catalogue_file(self) -> str | None:
        """The path of the catalogue file ingested last, or None."""

    @abc.abstractmethod
    def rejected_count(self) -> int:
        """How many files were rejected."""

    @abc.abstractmethod
    def loaded_datasets(self) -> list[str]:
        """The public datasets loaded into this warehouse, by name."""

    @abc.abstractmethod
    def record_dataset_load(self, name: str, path: str, *, rows_read: int, accepted: int,
                            quarantined: int) -> None:
        """Record a load of a public dataset."""

    @abc.abstractmethod
    def table_counts(self, names=None) -> dict[str, int]:
        """Row counts of the main tables (users, artists, tracks, events, interactions,
        quarantine, playlists by default; any of the known tables by name)."""

    # -- ingest of a batch --------------------------------------------------------------------------
    @abc.abstractmethod
    def load_event_batch(self, file_id: int, batch, resolved: dict[str, str], columns: list[str], *,
                         kinds: dict[str, str], default_kind: str = "play",
                         window: tuple[str, str] = ("2000-01-01", "9999-01-01")) -> BatchResult:
        """Validate a batch of event rows (an Arrow table with the file's columns and
        ``__line``, and ``__nested`` where the reader found JSON objects or lists: the names of
        those columns; `resolved` maps canonical columns to the file's, `kinds` spellings of
        event kinds to kinds) by the rules of `tastemaker.engine.sql.event_reason` with the
        plausible time `window` [earliest, latest) (ids NFC-normalised), quarantine the bad
        rows (raw row = the `columns` of the file), give new users, artists and tracks their
        dense ids and insert the rest. Call inside the file's transaction."""

    @abc.abstractmethod
    def load_catalog_batch(self, file_id: int, batch, resolved: dict[str, str], columns: list[str]) -> BatchResult:
        """The same for catalogue rows (`tastemaker.engine.sql.CATALOG_REASON`): new tracks are
        inserted, known ones updated in the columns the file carries (a value left empty keeps the
        track's); other columns are kept as the tracks' attributes."""

    @abc.abstractmethod
    def quarantine_duplicate_events(self, file_id: int) -> int:
        """Move the timestamped events of this file that repeat an earlier event (same user,
        track, artist, kind, time, count, duration) to quarantine. Returns how many."""

    # -- the public datasets' own steps -------------------------------------------------------------
    @abc.abstractmethod
    def load_hetrec_tags(self, file_id: int, names, tagged, tagged_columns: list[str], source: str) -> BatchResult:
        """Last.fm HetRec tag assignments (`tagged`, an Arrow table with ``line``) with the tag
        names (`names`) into the artists' tags; unknown tags or artists and bad dates quarantined."""

    @abc.abstractmethod
    def tag_count(self) -> int:
        """How many tag assignments the warehouse holds."""

    @abc.abstractmethod
    def msd_metadata_rows(self, table, source: Path | None, columns: dict, errors: list) -> None:
        """Stage MSD song metadata: from a CSV read into `table` (`columns`: which column holds
        song_id, title, album, artist_name, year) or from ``unique_tracks.txt`` (`source`);
        rows without a song id go to `errors` as (line, reason, raw)."""

    @abc.abstractmethod
    def write_msd_metadata(self, out: Path, *, with_track_id: bool) -> tuple[int, int, int]:
        """Write the staged metadata, one row per song in the catalogue, as Parquet to `out`.
        Returns (rows, songs, songs in the catalogue)."""

    @abc.abstractmethod
    def stage_audioscrobbler_aliases(self, rows) -> None:
        """Stage the alias map of ``artist_alias.txt`` rows (chains followed to their end,
        cycles and bad rows marked) for the hooks below."""

    @abc.abstractmethod
    def record_audioscrobbler_aliases(self, file_id: int, columns: list[str]) -> BatchResult:
        """Quarantine the staged alias rows that have a reason."""

    @abc.abstractmethod
    def audioscrobbler_alias_count(self) -> int:
        """How many aliases the staged map resolves."""

    @abc.abstractmethod
    def rewrite_audioscrobbler_plays(self, source: Path, out: Path, notes: list[str]) -> None:
        """``user_artist_data.txt`` line for line into `out`, aliases replaced by their artist."""

    @abc.abstractmethod
    def rewrite_audioscrobbler_artists(self, source: Path, out: Path, notes: list[str]) -> tuple[int, int]:
        """``artist_data.txt`` line for line into `out`, lines of aliases and of unplayed
        artists blanked; returns how many of each."""

    @abc.abstractmethod
    def drop_audioscrobbler_aliases(self) -> None:
        """Forget the staged alias map."""

    # -- documents and terms ----------------------------------------------------------------------
    @abc.abstractmethod
    def next_doc_id(self) -> int:
        """The id the next document gets."""

    @abc.abstractmethod
    def document_with_url(self, url: str) -> int | None:
        """The document with this URL, or None."""

    @abc.abstractmethod
    def document_with_hash(self, sha256: str) -> int | None:
        """The document with this content hash (of its folded text), or None."""

    @abc.abstractmethod
    def insert_documents(self, rows: list[tuple]) -> None:
        """Insert documents: (doc_id, source, line, kind, url, title, text, content_sha256,
        published_at, artist_hint, track_hint, ingested_at, analysed_at)."""

    @abc.abstractmethod
    def document_count(self) -> int:
        """How many documents the warehouse holds."""

    @abc.abstractmethod
    def tag_documents(self, source: str, now) -> int:
        """Make the tags of `source` documents (one per artist, tagger and day; once). Returns how many."""

    @abc.abstractmethod
    def reset_document_analysis(self) -> None:
        """Forget every document's terms and mentions (they are analysed again)."""

    @abc.abstractmethod
    def documents_to_analyse(self) -> list[int]:
        """The ids of the documents not analysed yet, in order."""

    @abc.abstractmethod
    def documents_between(self, first: int, last: int) -> list[tuple]:
        """(doc_id, kind, text, artist_hint) of the documents not analysed yet with ids in [first, last]."""

    @abc.abstractmethod
    def store_document_analysis(self, first: int, last: int, terms: list[tuple], mentions: list[tuple],
                                now) -> None:
        """Store the terms (doc_id, kind, term, n) and mentions (doc_id, artist_idx, track_idx,
        mentions, about) of the documents in [first, last] and mark them analysed, atomically."""

    @abc.abstractmethod
    def rebuild_terms(self, *, half_life_days: float, min_support: int, max_terms: int, now) -> int:
        """Recompute every artist's and track's top terms (see `tastemaker.text.model`). Returns rows."""

    @abc.abstractmethod
    def rebuild_comentions(self) -> int:
        """Recompute the pairs of artists mentioned in the same documents. Returns pairs."""

    @abc.abstractmethod
    def comentioned_artists(self, artist_idx: int, n: int) -> list[tuple[int, float, int]]:
        """The artists most written about alongside one: (artist_idx, weight, documents),
        heaviest first."""

    @abc.abstractmethod
    def artist_term_rows(self) -> dict[str, np.ndarray]:
        """Every artist's top terms: ``artist_idx``, ``kind``, ``term``, ``weight``."""

    @abc.abstractmethod
    def artist_document_support(self) -> tuple[np.ndarray, np.ndarray]:
        """(artist_idx, about-weighted documents about it)."""

    @abc.abstractmethod
    def top_terms(self, artist_idx: int, track_idx: int | None, kind: str, n: int) -> list[tuple]:
        """(term, weight, support) of an artist's (or track's) n best terms of a kind."""

    @abc.abstractmethod
    def artist_descriptors(self, kinds: tuple[str, ...], n: int = 3) -> dict[int, str]:
        """{artist_idx: "term, term, term"}: each artist's n best terms of these kinds that are
        not its own name."""

    @abc.abstractmethod
    def documents_about_artists(self, kinds: tuple[str, ...] | None) -> list[tuple[int, str]]:
        """(doc_id, text) of the documents (of these kinds) about at least one artist."""

    @abc.abstractmethod
    def artist_document_weights(self, kinds: tuple[str, ...] | None) -> dict[str, np.ndarray]:
        """``doc_id``, ``artist_idx``, ``about`` of every artist mention with a share > 0."""

    @abc.abstractmethod
    def enqueue_urls(self, rows: list[tuple[str, str, int]], now) -> None:
        """Queue (url, host, depth) for the crawler (a URL already known is left as it is)."""

    @abc.abstractmethod
    def queued_urls(self, limit: int = 200) -> list[tuple]:
        """(url, host, depth, attempts, not before) of queued URLs, shallowest and oldest first."""

    @abc.abstractmethod
    def queued_count(self) -> int:
        """How many URLs wait in the queue."""

    @abc.abstractmethod
    def mark_url(self, url: str, status: str, *, reason=None, nbytes=None, doc_id=None, attempts=None,
                 updated_at) -> None:
        """Record what became of a queued URL."""

    # -- audio --------------------------------------------------------------------------------------
    @abc.abstractmethod
    def cached_analysis(self, sha256: str, analyser_version: str) -> str | None:
        """The stored analysis document (JSON text) of these bytes by this analyser, or None."""

    @abc.abstractmethod
    def save_analysis(self, *, sha256: str, path: str, analyser_version: str, status: str, reason,
                      values: dict, features: str | None, analysis: str, analysed_at) -> None:
        """Store one analysis (replacing the earlier one of the same bytes)."""

    @abc.abstractmethod
    def save_audio_file(self, path: str, stem: str, sha256: str, seen_at) -> None:
        """Record an audio file and its content hash."""

    @abc.abstractmethod
    def link_audio_files(self) -> int:
        """Match audio files to catalogue tracks (by uri, else by track_id = file stem). Returns matches."""

    @abc.abstractmethod
    def analysis_failures(self, paths: list[str]) -> list[tuple[str, str | None]]:
        """(path, reason) of the failed analyses among these files."""

    @abc.abstractmethod
    def track_analysis(self, track_idx: int) -> tuple[str | None, str | None] | None:
        """(analysis document, audio features) as JSON text of a track's latest good analysis, or None."""

    @abc.abstractmethod
    def store_audio_vectors(self, model_version: str, table, computed_at) -> None:
        """Store predicted vectors of an audio model version (an Arrow table: track_idx, status,
        reason, path, sha, short, vector, embedding), replacing the tracks' earlier rows."""

    @abc.abstractmethod
    def audio_vectors(self, model_version: str, *, embeddings: bool = False) -> tuple[np.ndarray, list]:
        """(track_idx, vectors) predicted by a version (its embeddings when asked), by track."""

    @abc.abstractmethod
    def audio_vector_tracks(self, model_version: str) -> np.ndarray:
        """The tracks with a row (ok or failed) for a version."""

    # -- playlists ----------------------------------------------------------------------------------
    @abc.abstractmethod
    def recommended_pairs(self, weeks: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(user_idx, track_idx) of every track listed in these weeks."""

    @abc.abstractmethod
    def start_weekly_run(self, run) -> np.ndarray:
        """Start (or resume) a weekly run (`tastemaker.runs.Run`): staged lists of other runs of
        the week are dropped and their runs, if still running, marked superseded. Returns the
        users already staged by this run."""

    @abc.abstractmethod
    def stage_playlist_batch(self, week: str, run_id: str, model_version: str, table) -> None:
        """Stage one batch of lists (an Arrow table: user_idx, position, track_idx, score,
        source, reason_track_idx, reason), committed at once."""

    @abc.abstractmethod
    def finish_weekly_run(self, run) -> int:
        """Swap the run's staged lists in as the week's lists and mark the run done, in one
        transaction. Returns the week's rows."""

    @abc.abstractmethod
    def playlist_weeks(self) -> list[str]:
        """The weeks with lists, oldest first."""

    @abc.abstractmethod
    def user_weeks(self, user_idx: int) -> list[str]:
        """The weeks in which a user has a list."""

    @abc.abstractmethod
    def playlist_rows(self, week: str, users: list[str] | None = None, *, batch: int = 100_000):
        """Stream the week's rows (user_id, position, track_id, title, artist, album, duration_ms,
        uri, score, source, reason, model_version) by user and position (only `users` when given)."""

    @abc.abstractmethod
    def playlist_columns(self, week: str) -> dict:
        """The whole week as columns, ordered by user and position: ``user_idx`` (int32),
        ``position`` (int16), ``track_idx`` (int32), ``score`` (float32, NaN where none),
        ``source`` and ``reason`` (int32 codes into the lists ``sources`` and ``reasons``)."""

    @abc.abstractmethod
    def playlist_source_counts(self, week: str) -> dict[str, int]:
        """Tracks listed in a week per source, most first."""

    @abc.abstractmethod
    def listed_users(self, week: str, limit: int, prefix: str = "") -> list[str]:
        """Up to `limit` users with a list in the week whose id starts with `prefix`, by id."""

    @abc.abstractmethod
    def first_listed_user(self, week: str, source: str) -> str | None:
        """The first user (by index) with a track of this source in the week, or None."""

    @abc.abstractmethod
    def playlist_run(self, week: str) -> dict | None:
        """The finished run that wrote the week: run_id, started_at, finished_at, model_version,
        params (JSON text), or None."""

    @abc.abstractmethod
    def list_feedback(self, week: str, user_idx: int, monday, min_play_ms: int) -> list[tuple]:
        """What a user did in the 7 days from `monday` with each track of their list of `week`:
        (position, track_id, title, artist name, source, full-length plays, saved, skipped,
        disliked) by position;
        a play under `min_play_ms` is a skip."""

    @abc.abstractmethod
    def feedback_counts(self, weeks: list[str], mondays: list, min_play_ms: int) -> list[tuple]:
        """Per week (index into `weeks`) and per (week, source): users, delivered tracks, played,
        saved, skipped, listeners, untimed events (see `tastemaker.weekly.feedback`)."""

    # -- runs ---------------------------------------------------------------------------------------
    @abc.abstractmethod
    def write_run(self, run) -> None:
        """Write a run record (`tastemaker.runs.Run`), replacing one of the same id: the only
        writer of run records."""

    @abc.abstractmethod
    def run_status(self, run_id: str) -> str | None:
        """running, done, or None for an unknown run."""
