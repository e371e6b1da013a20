"""The layouts of other services' exports, read into one shape: a play (or like, skip, …) with
what the source says of its track. Every record read comes out, in order; a record the product
leaves out (a podcast, an incognito play, a line it cannot read) comes out with ``rejected`` set
to the reason, so that ingest counts and keeps it.

Each reader takes a path and the user to credit when the file does not name one, and yields
`Play` records.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Iterator

from ..errors import InputError
from .navidrome import navidrome, navidrome_catalogue
from .records import Play, epoch, utc

#: a play shorter than this that the listener skipped counts as a skip (Spotify's reckoning of a stream)
SHORT_MS = 30_000


def _json_records(path: Path) -> list:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path} is not a JSON file ({exc})") from exc
    return data


# -- Spotify: extended streaming history ---------------------------------------------------------
def spotify(path: Path, user: str | None) -> Iterator[Play]:
    """``Streaming_History_Audio_*.json`` (and the older ``endsong_*.json``): a JSON array of
    streams. Podcasts and audiobooks are left out; incognito streams are left out as the
    listener asked; a stream under 30 s that was skipped (or ended by ``fwdbtn``) is a skip."""
    records = _json_records(path)
    if not isinstance(records, list):
        raise InputError(f"{path}: a Spotify streaming history is a JSON array of streams")
    for line, r in enumerate(records, 1):
        if not isinstance(r, dict):
            yield Play(line, rejected="not a stream record (expected a JSON object)")
            continue
        ms = r.get("ms_played")
        play = Play(line, user_id=r.get("username") or user, ms_played=ms if isinstance(ms, int) else None,
                    artist=r.get("master_metadata_album_artist_name"), title=r.get("master_metadata_track_name"),
                    album=r.get("master_metadata_album_album_name"), source_id=r.get("spotify_track_uri"))
        ts = r.get("ts")
        try:
            play.ts = utc(dt.datetime.fromisoformat(str(ts).replace("Z", "+00:00")))
        except ValueError:
            play.ts = str(ts) if ts is not None else None       # ingest says what is wrong with it
        if r.get("episode_name") or r.get("spotify_episode_uri"):
            play.rejected = "podcast episode, not music"
        elif r.get("audiobook_title") or r.get("audiobook_uri"):
            play.rejected = "audiobook, not music"
        elif r.get("incognito_mode") is True:
            play.rejected = "incognito stream (left out, as the listener asked)"
        elif not play.title and not play.source_id:
            play.rejected = "no track named (neither track name nor URI)"
        elif (r.get("skipped") is True or r.get("reason_end") == "fwdbtn") and (play.ms_played or 0) < SHORT_MS:
            play.kind, play.ms_played = "skip", None
        yield play


# -- ListenBrainz -------------------------------------------------------------------------------
def _listen(line: int, r: dict, user: str | None) -> Play:
    meta = r.get("track_metadata") or {}
    info = meta.get("additional_info") or {}
    mapping = meta.get("mbid_mapping") or {}
    duration = info.get("duration_ms") or (info.get("duration") and int(info["duration"]) * 1000)
    play = Play(line, user_id=r.get("user_name") or user, ts=epoch(r.get("listened_at")),
                artist=meta.get("artist_name"), title=meta.get("track_name"), album=meta.get("release_name"),
                duration_ms=int(duration) if isinstance(duration, (int, float)) else None,
                mbid=mapping.get("recording_mbid") or info.get("recording_mbid"), isrc=info.get("isrc"),
                source_id=r.get("recording_msid") or info.get("recording_msid"))
    if play.ts is None:
        play.rejected = f"bad listened_at {r.get('listened_at')!r}"
    elif not play.title:
        play.rejected = "no track_name"
    return play


def listenbrainz(path: Path, user: str | None) -> Iterator[Play]:
    """A user export (a zip with ``listens/YYYY/M.jsonl`` and ``feedback.jsonl``) or one JSON
    Lines file of listens (the public dumps). Feedback: score 1 is a like (a save), -1 a dislike;
    it names only the recording's MBID."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            names = sorted(n for n in z.namelist() if n.endswith(".jsonl"))
            line = 0
            for name in names:
                with z.open(name) as f:
                    for raw in io.TextIOWrapper(f, encoding="utf-8"):
                        if not raw.strip():
                            continue
                        line += 1
                        yield from _lb_record(line, raw, user, feedback=Path(name).name == "feedback.jsonl")
        return
    with open(path, encoding="utf-8") as f:
        line = 0
        for raw in f:
            if raw.strip():
                line += 1
                yield from _lb_record(line, raw, user, feedback=False)


def _lb_record(line: int, raw: str, user: str | None, *, feedback: bool) -> Iterator[Play]:
    try:
        r = json.loads(raw)
    except json.JSONDecodeError as exc:
        yield Play(line, rejected=f"not JSON ({exc.msg})")
        return
    if not isinstance(r, dict):
        yield Play(line, rejected="not a JSON object")
    elif feedback:
        score = r.get("score")
        play = Play(line, user_id=r.get("user_id") or user, ts=epoch(r.get("created")),
                    mbid=r.get("recording_mbid"), source_id=r.get("recording_msid"),
                    kind={1: "save", -1: "dislike"}.get(score, "save"))
        if score not in (1, -1):
            play.rejected = f"feedback score {score!r} is neither 1 nor -1"
        elif not play.mbid:
            play.rejected = "feedback without a recording_mbid"
        yield play
    else:
        yield _listen(line, r, user)


# -- Last.fm --------------------------------------------------------------------------------------
def lastfm(path: Path, user: str | None, columns: list[str] | None = None) -> Iterator[Play]:
    """The JSON pages of ``user.getRecentTracks`` (one page per file, or a JSON array of pages)
    — the track playing now, which has no date, is left out; loved tracks (``loved`` = 1, with
    ``extended=1``) add a save — or a CSV export without a header: artist, album, title, date
    ("31 Jan 2021 12:34", UTC)."""
    if path.suffix.lower() in (".csv", ".tsv", ".txt"):
        yield from _lastfm_csv(path, user, columns)
        return
    data = _json_records(path)
    pages = data if isinstance(data, list) else [data]
    line = 0
    for page in pages:
        recent = (page or {}).get("recenttracks") if isinstance(page, dict) else None
        if recent is None:
            line += 1
            yield Play(line, rejected="not a user.getRecentTracks page (no 'recenttracks')")
            continue
        name = (recent.get("@attr") or {}).get("user") or user
        tracks = recent.get("track") or []
        for t in tracks if isinstance(tracks, list) else [tracks]:
            line += 1
            artist = t.get("artist") or {}
            album = t.get("album") or {}
            play = Play(line, user_id=name, artist=artist.get("#text") or artist.get("name"), title=t.get("name"),
                        album=album.get("#text"), mbid=t.get("mbid") or None,
                        ts=epoch((t.get("date") or {}).get("uts")))
            if (t.get("@attr") or {}).get("nowplaying") == "true":
                play.rejected = "playing now (no date yet; the next page of history has it)"
            elif play.ts is None:
                play.rejected = "no date"
            yield play
            if str(t.get("loved")) == "1" and not play.rejected:
                yield Play(line, user_id=name, ts=play.ts, kind="save", artist=play.artist, title=play.title,
                           album=play.album, mbid=play.mbid)


def _lastfm_csv(path: Path, user: str | None, columns: list[str] | None = None) -> Iterator[Play]:
    yield from scrobble_table(path, user, columns or ["artist", "album", "title", "date"])


#: the names a table of scrobbles may give its columns (a header is recognised by them)
TABLE_NAMES = {"artist": ("artist", "artist_name", "performer"), "title": ("title", "song", "track", "track_name", "name"),
               "album": ("album", "release", "album_name"), "date": ("date", "datetime", "timestamp", "played_at", "utc_time", "time_played"),
               "time": ("time", "start_time", "hour")}
_TIME_FORMATS = ("%d %b %Y %H:%M", "%d %b %Y, %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
                 "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M")


def _when(text: str) -> str | None:
    text = text.strip()
    if text.isdigit() and len(text) >= 9:
        return epoch(text)
    try:
        return utc(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        pass
    for fmt in _TIME_FORMATS:
        try:
            return utc(dt.datetime.strptime(text, fmt))
        except ValueError:
            continue
    return None


def scrobble_table(path: Path, user: str | None, columns: list[str]) -> Iterator[Play]:
    """A table of what was played: CSV, TSV, ';' or '|' separated, with a header naming its
    columns (artist, title or song, album or release, date or datetime, and an optional separate
    time) or without one, the columns then in the order `columns` gives. Times as ISO 8601,
    Unix seconds, "31 Jan 2021 12:34" and a few other common layouts, read as UTC."""
    import csv

    unknown = [c for c in columns if c not in TABLE_NAMES and c != "skip"]
    if unknown:
        raise InputError(f"unknown column name(s) {unknown}; use artist, title, album, date, time or skip")
    with open(path, encoding="utf-8-sig", newline="") as f:
        sample = f.read(64 * 1024)
        f.seek(0)
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",\t;|")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(f, dialect)
        order, line = columns, 0
        for row in reader:
            line += 1
            cells = [c.strip() for c in row]
            if line == 1:
                named = [next((k for k, names in TABLE_NAMES.items() if c.lower() in names), None) for c in cells]
                if sum(n is not None for n in named) >= 2 and "title" in named:
                    order = [n or "skip" for n in named]
                    continue
            if not any(cells):
                continue
            if len(cells) < len([c for c in order if c != "skip"]):
                yield Play(line, user_id=user, rejected=f"{len(cells)} columns; expected {', '.join(order)}")
                continue
            got = {name: cells[i] for i, name in enumerate(order) if name != "skip" and i < len(cells)}
            stamp = " ".join(x for x in (got.get("date"), got.get("time")) if x)
            play = Play(line, user_id=user, ts=_when(stamp) if stamp else None, artist=got.get("artist") or None,
                        album=got.get("album") or None, title=got.get("title") or None)
            if not play.title:
                play.rejected = "no title"
            elif play.ts is None:
                play.rejected = f"no time this importer can read in {stamp!r}" if stamp else "no date"
            yield play


def radio(path: Path, user: str | None, columns: list[str] | None = None) -> Iterator[Play]:
    """A radio playout log: what the station played, when (date-time, artist, song, release).
    Credited to `user` (the station); a header naming the columns is recognised, else the
    columns are `columns` (default datetime, artist, title, release)."""
    yield from scrobble_table(path, user, columns or ["date", "artist", "title", "album"])


# -- Audioscrobbler .scrobbler.log ---------------------------------------------------------------
def scrobbler_log(path: Path, user: str | None) -> Iterator[Play]:
    """A portable player's ``.scrobbler.log`` (AUDIOSCROBBLER/1.1): header lines start with '#';
    then tab-separated artist, album, title, track number, duration (s), rating (L listened,
    S skipped), Unix time, MusicBrainz track id. Times are UTC when the header says #TZ/UTC;
    with #TZ/UNKNOWN they are the player's local time, read as UTC."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for line, raw in enumerate(f, 1):
            raw = raw.rstrip("\r\n")
            if raw.startswith("#") or not raw.strip():
                continue
            cols = raw.split("\t")
            if len(cols) < 7:
                yield Play(line, user_id=user, rejected=f"{len(cols)} fields; expected at least 7 (tab-separated)")
                continue
            artist, album, title, _, duration, rating, when = cols[:7]
            try:
                seconds = int(duration)
            except ValueError:
                seconds = None
            play = Play(line, user_id=user, ts=epoch(when), artist=artist or None, album=album or None,
                        title=title or None, duration_ms=seconds * 1000 if seconds else None,
                        mbid=(cols[7] if len(cols) > 7 and cols[7] else None),
                        kind="skip" if rating.upper() == "S" else "play")
            if play.ts is None:
                play.rejected = f"bad time {when!r}"
            elif rating.upper() not in ("L", "S"):
                play.rejected = f"rating {rating!r} is neither L nor S"
            yield play


READERS = {"spotify": spotify, "listenbrainz": listenbrainz, "lastfm": lastfm, "scrobbler-log": scrobbler_log,
           "radio": radio}
#: readers that take a column order (--columns) for files without a header
TAKES_COLUMNS = {"lastfm", "radio"}


# -- a music folder ---------------------------------------------------------------------------------
AUDIO_SUFFIXES = {".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".mp4", ".aac", ".wav", ".aiff", ".aif", ".wma"}


def folder_catalogue(root: Path) -> Iterator[dict]:
    """Every audio file under `root` as a catalogue row, its tags read by mutagen: artist,
    title, album, duration, MusicBrainz recording id, ISRC; ``uri`` the file's absolute path,
    ``track_id`` its path under `root` (or the recording id when tagged). A file whose tags
    cannot be read still comes, titled by its name, with the reason in ``tag_problem``."""
    import mutagen

    for f in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES):
        row = {"track_id": f.relative_to(root).as_posix(), "title": f.stem, "artist_name": None, "album": None,
               "duration_ms": None, "uri": str(f.resolve()), "mbid": None, "isrc": None, "imported_from": "folder",
               "tag_problem": None}
        try:
            audio = mutagen.File(f, easy=True)
        except Exception as exc:       # mutagen raises many kinds on a damaged file
            row["tag_problem"] = f"tags unreadable: {type(exc).__name__}: {exc}"[:200]
            yield row
            continue
        if audio is None:
            row["tag_problem"] = "no tags mutagen knows"
            yield row
            continue
        tags = audio.tags or {}

        def first(*names):
            for name in names:
                try:
                    values = tags.get(name)
                except (KeyError, ValueError):
                    values = None
                if values:
                    return str(values[0]).strip() or None
            return None
        row.update(title=first("title") or f.stem, artist_name=first("artist", "albumartist"), album=first("album"),
                   mbid=first("musicbrainz_trackid", "musicbrainz_recordingid"), isrc=first("isrc"))
        if getattr(audio, "info", None) is not None and getattr(audio.info, "length", None):
            row["duration_ms"] = int(audio.info.length * 1000)
        yield row


READERS["navidrome"] = navidrome      # from .navidrome, imported at the top
#: sources that carry a catalogue of their own, read before their plays
CATALOGUES = {"navidrome": navidrome_catalogue, "folder": folder_catalogue}
