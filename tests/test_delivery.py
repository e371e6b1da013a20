"""End to end for a self-hosted server: a Navidrome-shaped SQLite database and a folder of
tagged audio files made here → import → train → weekly generate (owned tracks only) → deliver
to a small fake Subsonic server on 127.0.0.1 → its playlists hold 30 tracks per user, none
played, all owned, last week's replaced."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from tastemaker.cli import run
from tastemaker.config import load_settings
from tastemaker.deliver import SubsonicClient, SubsonicError, deliver_week
from tastemaker.engine import DuckDBEngine
from tastemaker.imports import import_files
from tastemaker.ingest import ingest_catalog, ingest_events
from tastemaker.train import train_collaborative
from tastemaker.weekly.generate import generate_week

N_USERS, N_SONGS = 12, 360


class FakeSubsonic:
    """The parts of the Subsonic API delivery uses, with token auth, on 127.0.0.1."""

    def __init__(self, songs: dict[str, dict], passwords: dict[str, str]):
        self.songs, self.passwords = songs, passwords
        self.playlists: dict[str, dict] = {}        # id -> {name, owner, songs}
        self.calls: list[str] = []
        self.made = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                parsed = urllib.parse.urlparse(self.path)
                q = urllib.parse.parse_qs(parsed.query)
                method = parsed.path.rsplit("/", 1)[-1].removesuffix(".view")
                fake.calls.append(method)
                body = fake.answer(method, q)
                data = json.dumps({"subsonic-response": {"version": "1.16.1", **body}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, method: str, q: dict) -> dict:
        user, token, salt = (q.get(k, [""])[0] for k in ("u", "t", "s"))
        expected = hashlib.md5((self.passwords.get(user, "\0") + salt).encode()).hexdigest()
        if "p" in q or token != expected:
            return {"status": "failed", "error": {"code": 40, "message": "Wrong username or password"}}
        ok = {"status": "ok"}
        if method == "ping":
            return ok
        if method == "getSong":
            song = self.songs.get(q.get("id", [""])[0])
            return {**ok, "song": song} if song else {"status": "failed", "error": {"code": 70, "message": "not found"}}
        if method == "search3":
            words = q["query"][0].lower().split()
            hits = [s for s in self.songs.values() if all(w in f"{s['artist']} {s['title']}".lower() for w in words)]
            return {**ok, "searchResult3": {"song": hits[: int(q.get("songCount", ["20"])[0])]}}
        if method == "getPlaylists":
            mine = [{"id": i, "name": p["name"], "owner": p["owner"], "songCount": len(p["songs"])}
                    for i, p in self.playlists.items() if p["owner"] == user]
            return {**ok, "playlists": {"playlist": mine}}
        if method == "createPlaylist":
            songs = q.get("songId", [])
            if any(s not in self.songs for s in songs):
                return {"status": "failed", "error": {"code": 70, "message": "unknown song"}}
            if "playlistId" in q:
                self.playlists[q["playlistId"][0]]["songs"] = songs
                pid = q["playlistId"][0]
            else:
                self.made += 1
                pid = f"pl{self.made}"
                self.playlists[pid] = {"name": q["name"][0], "owner": user, "songs": songs}
            return {**ok, "playlist": {"id": pid}}
        if method == "deletePlaylist":
            self.playlists.pop(q["id"][0], None)
            return ok
        return {"status": "failed", "error": {"code": 0, "message": f"unknown method {method}"}}

    def close(self):
        self.server.shutdown()


def _navidrome_db(path, music):
    """Navidrome's tables as its migrations leave them (the columns tastemaker reads, and others)."""
    rng = np.random.default_rng(3)
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE user (id varchar(255) primary key, user_name varchar(255), name varchar(255),
                           email varchar(255), password varchar(255), is_admin bool);
        CREATE TABLE media_file (id varchar(255) primary key, path varchar(255), title varchar(255),
                                 album varchar(255), artist varchar(255), artist_id varchar(255), album_artist varchar(255),
                                 album_id varchar(255), track_number integer, year integer, size integer,
                                 suffix varchar(255), duration real, bit_rate integer, genre varchar(255),
                                 mbz_recording_id varchar(255), tags jsonb);
        CREATE TABLE annotation (ann_id varchar(255), user_id varchar(255), item_id varchar(255),
                                 item_type varchar(255), play_count integer, play_date datetime, rating integer,
                                 starred bool, starred_at datetime);
        CREATE TABLE scrobbles (media_file_id varchar(255), user_id varchar(255), submission_time integer);
    """)
    con.executemany("INSERT INTO user (id, user_name, is_admin) VALUES (?, ?, ?)",
                    [(f"uid{u}", f"user{u}", u == 0) for u in range(N_USERS)])
    import soundfile as sf
    songs = {}
    silence = np.zeros(2205, dtype=np.float32)
    for i in range(N_SONGS):
        sid = f"song{i:03d}"
        sf.write(music / f"{sid}.flac", silence, 22050)          # the server's files
        row = (sid, str(music / f"{sid}.flac"), f"Song {i}", f"Album {i // 10}", f"Artist {i // 5}", f"ar{i // 5}",
               f"Artist {i // 5}", f"al{i // 10}", i % 10 + 1, 2020, 1000, "flac", 180.0 + i, 900, "rock",
               f"mbid-{i}", json.dumps({"isrc": [f"QZ000{i:04d}"]}))
        con.execute("INSERT INTO media_file (id, path, title, album, artist, artist_id, album_artist, album_id, "
                    "track_number, year, size, suffix, duration, bit_rate, genre, mbz_recording_id, tags) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
        songs[sid] = {"id": sid, "title": f"Song {i}", "artist": f"Artist {i // 5}", "duration": 180 + i}
    played = {}
    for u in range(N_USERS):
        group = u % 3
        pool = [i for i in range(N_SONGS) if i % 3 == group]
        mine = rng.choice(pool, size=int(rng.integers(8, 20)), replace=False)
        played[f"user{u}"] = {f"song{i:03d}" for i in mine}
        for i in mine:
            for k in range(int(rng.integers(1, 4))):
                con.execute("INSERT INTO scrobbles VALUES (?, ?, ?)",
                            (f"song{i:03d}", f"uid{u}", 1793000000 + 3600 * (u * 40 + k) + int(i)))
        star = f"song{int(mine[0]):03d}"
        con.execute("INSERT INTO annotation VALUES (?, ?, ?, 'media_file', 3, '2026-11-20 10:00:00', 5, 1, "
                    "'2026-11-20 10:00:00')", (f"a{u}", f"uid{u}", star))
    con.commit()
    con.close()
    return songs, played


@pytest.fixture
def server_home(tmp_path):
    music = tmp_path / "music"
    music.mkdir()
    songs, played = _navidrome_db(tmp_path / "navidrome.db", music)
    settings = load_settings(tmp_path / "home")
    # the regularisation as set (not tuned on these 12 users' last week): the control week below
    # must list the file-less tracks for the owned-only weeks' absence of them to mean anything
    settings = dataclasses.replace(settings, weekly=dataclasses.replace(settings.weekly, owned_only=True),
                                   als=dataclasses.replace(settings.als, tune=False))
    with DuckDBEngine.open(settings.warehouse_path) as engine:
        report = import_files(engine, settings, "navidrome", [tmp_path / "navidrome.db"])
        # tracks the server does not have, popular with others: an owned-only week never lists them
        extra = tmp_path / "elsewhere.csv"
        extra.write_text("track_id,title,artist_name\n" + "".join(f"x{i},Elsewhere {i},Far Artist\n" for i in range(40)))
        ingest_catalog(engine, [extra])
        plays = tmp_path / "elsewhere-plays.csv"
        plays.write_text("user_id,track_id,ts\n" + "".join(
            f"user{u},x{i},2026-11-10T10:{i:02d}:00\n" for u in range(N_USERS) for i in range(40) if (u + i) % 2))
        ingest_events(engine, [plays])
        train_collaborative(engine, settings)
        every = dataclasses.replace(settings, weekly=dataclasses.replace(settings.weekly, owned_only=False))
        generate_week(engine, every, week="2026-W47")               # the control: any track may be listed
        generate_week(engine, settings, week="2026-W48")
        generate_week(engine, settings, week="2026-W49")
    fake = FakeSubsonic(songs, {f"user{u}": f"pw{u}" for u in range(N_USERS)})
    yield settings, report, fake, played
    fake.close()


def test_navidrome_import_owned_week_and_delivery(server_home, monkeypatch, capsys):
    settings, report, fake, played = server_home
    assert report.catalog.files[0].accepted == N_SONGS
    scrobbles = sum(len(v) for v in played.values())
    assert report.rules["id"] >= scrobbles and report.rules.get("left out", 0) == 0
    with DuckDBEngine.open(settings.warehouse_path, read_only=True) as engine:
        assert engine.scalar("SELECT count(*) FROM users") == N_USERS
        assert engine.scalar("SELECT count(*) FROM events WHERE kind = 'save'") == N_USERS      # the stars
        assert engine.scalar("SELECT attrs->>'isrc' FROM tracks WHERE track_id = 'song007'") == "QZ0000007"
        unowned = {w: n for w, n in engine.execute(
            "SELECT week, count(*) FILTER (WHERE t.uri IS NULL) FROM playlists p JOIN tracks t USING (track_idx) "
            "GROUP BY 1").fetchall()}
        assert unowned["2026-W47"] > 0 and unowned["2026-W48"] == unowned["2026-W49"] == 0
        # last week's playlists exist on the server: delivery replaces them
        for u in range(N_USERS):
            client = SubsonicClient.login(settings, fake.url, f"user{u}", password=f"pw{u}")
            deliver_week(engine, settings, client, f"user{u}", week="2026-W48")
        dry = deliver_week(engine, settings, client, f"user{N_USERS - 1}", dry_run=True)
    assert dry.dry_run and len(dry.songs) == 30 and dry.replaced == ["Discover Weekly 2026-W48"]
    assert len(fake.playlists) == N_USERS                                     # the dry run wrote nothing
    monkeypatch.setenv("TASTEMAKER_SUBSONIC_PASSWORD", "pw0")
    assert run(["--home", str(settings.home), "deliver", "subsonic", "--url", fake.url, "--user", "user0"]) == 0
    assert "Discover Weekly 2026-W49" in capsys.readouterr().out
    monkeypatch.delenv("TASTEMAKER_SUBSONIC_PASSWORD")
    users = [f"--user=user{u}" for u in range(1, N_USERS)]
    assert run(["--home", str(settings.home), "deliver", "subsonic", "--url", fake.url, *users]) == 0  # kept tokens
    kept = json.loads((settings.home / "delivery" / "subsonic.json").read_text())
    assert "pw0" not in json.dumps(kept) and set(kept[fake.url]) == {f"user{u}" for u in range(N_USERS)}
    assert (settings.home / "delivery" / "subsonic.json").stat().st_mode & 0o077 == 0
    by_owner = {p["owner"]: p for p in fake.playlists.values()}
    assert len(fake.playlists) == N_USERS and set(by_owner) == set(played)  # last week's replaced
    for user, playlist in by_owner.items():
        assert playlist["name"] == "Discover Weekly 2026-W49"
        assert len(playlist["songs"]) == 30 == len(set(playlist["songs"]))   # 30 tracks, all on the server
        assert not set(playlist["songs"]) & played[user]                    # none played
        assert all((settings.home.parent / "music" / f"{song}.flac").is_file() for song in playlist["songs"])  # owned
    with pytest.raises(SubsonicError, match="Wrong username or password"):
        SubsonicClient.login(settings, fake.url, "user0", password="wrong")


def test_a_folder_of_tagged_audio_as_catalogue(tmp_path):
    import mutagen.flac
    import soundfile as sf

    music = tmp_path / "music" / "Artist A"
    music.mkdir(parents=True)
    tone = np.sin(np.linspace(0, 2 * np.pi * 440 * 2, 2 * 22050)).astype(np.float32)
    for i in range(3):
        path = music / f"{i + 1:02d} track.flac"
        sf.write(path, tone, 22050)
        tags = mutagen.flac.FLAC(path)
        tags["artist"], tags["title"], tags["album"] = "Artist A", f"Tune {i}", "First"
        tags["musicbrainz_trackid"], tags["isrc"] = f"rec-{i}", f"QZ1110000{i}"
        tags.save()
    (music / "broken.mp3").write_bytes(b"not audio at all")
    (music / "cover.jpg").write_bytes(b"\xff\xd8")
    settings = load_settings(tmp_path / "home")
    with DuckDBEngine.open(settings.warehouse_path) as engine:
        report = import_files(engine, settings, "folder", [tmp_path / "music"])
        assert report.catalog.files[0].accepted == 4 and report.rules["catalogue tracks"] == 4
        rows = engine.execute("SELECT t.track_id, t.title, a.name, t.duration_ms, t.uri, t.attrs->>'mbid', "
                              "t.attrs->>'tag_problem' FROM tracks t LEFT JOIN artists a USING (artist_idx) "
                              "ORDER BY 1").fetchall()
        again = import_files(engine, settings, "folder", [tmp_path / "music"])
        assert again.catalog.files[0].status == "skipped"                     # the same folder: nothing new
    assert [r[0] for r in rows] == ["Artist A/01 track.flac", "Artist A/02 track.flac", "Artist A/03 track.flac",
                                    "Artist A/broken.mp3"]
    first = rows[0]
    assert first[1:4] == ("Tune 0", "Artist A", 2000) and first[4].endswith("01 track.flac") and first[5] == "rec-0"
    assert rows[3][1] == "broken" and rows[3][6]                               # kept, with why its tags failed
