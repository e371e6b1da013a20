"""Importers: fixtures written in each source's exact layout (malformed records included), the
counts exact, re-import adds nothing, plays matched to the catalogue by id or by name."""

from __future__ import annotations

import json
import zipfile

import pytest

from tastemaker.cli import run
from tastemaker.config import load_settings
from tastemaker.engine import DuckDBEngine
from tastemaker.imports import import_files
from tastemaker.ingest import ingest_catalog


def _stream(ts, track, artist, ms, *, uri=None, skipped=None, reason_end="trackdone", **extra):
    return {"ts": ts, "username": "listener1", "platform": "android", "ms_played": ms, "conn_country": "SE",
            "master_metadata_track_name": track, "master_metadata_album_artist_name": artist,
            "master_metadata_album_album_name": "Album", "spotify_track_uri": uri, "episode_name": None,
            "episode_show_name": None, "spotify_episode_uri": None, "reason_start": "trackdone",
            "reason_end": reason_end, "shuffle": False, "skipped": skipped, "offline": False,
            "offline_timestamp": None, "incognito_mode": False, **extra}


@pytest.fixture
def spotify_file(tmp_path):
    records = [
        _stream("2026-11-02T10:00:00Z", "Halo", "Beyoncé", 261000, uri="spotify:track:halo"),
        _stream("2026-11-02T10:05:00Z", "Halo", "Beyoncé", 250000, uri="spotify:track:halo"),
        _stream("2026-11-02T10:10:00Z", "Creep", "Radiohead", 4000, uri="spotify:track:creep", skipped=True),
        _stream("2026-11-02T10:11:00Z", "Yellow", "Coldplay", 12000, uri="spotify:track:yellow",
                reason_end="fwdbtn"),
        {**_stream("2026-11-02T11:00:00Z", None, None, 1800000), "episode_name": "Episode 12",
         "spotify_episode_uri": "spotify:episode:x"},
        {**_stream("2026-11-02T12:00:00Z", None, None, 600000), "audiobook_title": "A Book",
         "audiobook_uri": "spotify:audiobook:y"},
        _stream("2026-11-02T13:00:00Z", "Secret", "Someone", 200000, uri="spotify:track:secret", incognito_mode=True),
        _stream("not a time", "Halo", "Beyoncé", 261000, uri="spotify:track:halo"),
        "garbage",
    ]
    path = tmp_path / "Streaming_History_Audio_2026.json"
    path.write_text(json.dumps(records))
    return path


def _events(settings):
    with DuckDBEngine.open(settings.warehouse_path, read_only=True) as engine:
        return engine.execute("SELECT kind, count(*) FROM events GROUP BY 1 ORDER BY 1").fetchall()


def test_spotify_history_into_an_empty_warehouse(tmp_path, spotify_file):
    settings = load_settings(tmp_path / "home")
    with DuckDBEngine.open(settings.warehouse_path) as engine:
        report = import_files(engine, settings, "spotify", [spotify_file])
    assert report.records == 9
    f = report.events.files[0]
    assert (f.rows_read, f.accepted, f.quarantined) == (9, 4, 5)
    # an empty catalogue: tracks added, their later plays found by the source's id
    assert report.rules == {"added": 3, "id": 2, "left out": 4}
    assert sum(report.rules.values()) == report.records                    # the rates add up
    assert report.catalog.files[0].accepted == 3                            # halo, creep, yellow
    assert _events(settings) == [("play", 2), ("skip", 2)]                  # under 30 s and skipped: skips
    with DuckDBEngine.open(settings.warehouse_path, read_only=True) as engine:
        reasons = dict(engine.execute("SELECT line, reason FROM quarantine ORDER BY line").fetchall())
        assert engine.scalar("SELECT count(*) FROM users") == 1
        assert engine.scalar("SELECT title FROM tracks WHERE track_id = 'spotify:track:halo'") == "Halo"
    assert reasons[5] == "podcast episode, not music" and reasons[6] == "audiobook, not music"
    assert reasons[7].startswith("incognito") and reasons[8].startswith("bad timestamp")
    assert reasons[9].startswith("not a stream record")
    with DuckDBEngine.open(settings.warehouse_path) as engine:               # again: nothing added
        again = import_files(engine, settings, "spotify", [spotify_file])
    assert again.events.files[0].status == "skipped" and _events(settings) == [("play", 2), ("skip", 2)]


def test_plays_matched_to_a_catalogue_and_unmatched_kept(tmp_path):
    settings = load_settings(tmp_path / "home")
    catalog = tmp_path / "catalog.csv"
    catalog.write_text("track_id,title,artist_name,duration_ms,mbid,isrc\n"
                       "t1,Let It Be,The Beatles,243000,,GBAYE0601477\n"
                       "t2,Halo,Beyonce,261000,8f3471b5-7e6a-48da-86a9-c1c07a0f47ae,\n"
                       "t3,Creep,Radiohead,238000,,\n")
    log = tmp_path / ".scrobbler.log"
    log.write_text("#AUDIOSCROBBLER/1.1\n#TZ/UTC\n#CLIENT/Rockbox sansae200 $Revision$\n"
                   "Beatles\tLet It Be\tLet It Be - Remastered 2009\t6\t243\tL\t1793872800\t\n"
                   "Beyoncé\tI Am...\tHalo\t1\t261\tL\t1793873100\t8f3471b5-7e6a-48da-86a9-c1c07a0f47ae\n"
                   "Radiohead\tPablo Honey\tCreep (Acoustic)\t2\t256\tL\t1793873400\t\n"
                   "Radiohead\tPablo Honey\tCreep\t2\t238\tS\t1793873700\t\n"
                   "broken line without tabs\n"
                   "Radiohead\tPablo Honey\tCreep\t2\t238\tX\t1793874000\t\n")
    with DuckDBEngine.open(settings.warehouse_path) as engine:
        ingest_catalog(engine, [catalog])
        report = import_files(engine, settings, "scrobbler-log", [log], user="rockbox-owner")
    assert report.rules == {"name": 2, "mbid": 1, "unmatched: no match": 1, "left out": 2}
    f = report.events.files[0]
    assert (f.rows_read, f.accepted, f.quarantined) == (6, 3, 3)
    assert report.catalog is None                                           # a catalogue: nothing added
    with DuckDBEngine.open(settings.warehouse_path, read_only=True) as engine:
        reasons = [r for (r,) in engine.execute("SELECT reason FROM quarantine ORDER BY line").fetchall()]
        assert engine.scalar("SELECT count(*) FROM tracks") == 3
    assert "no catalogue track matches 'Radiohead – Creep (Acoustic)'" in reasons[0]
    assert "fields; expected at least 7" in reasons[1] and "neither L nor S" in reasons[2]


def test_listenbrainz_export_with_feedback(tmp_path):
    settings = load_settings(tmp_path / "home")
    listen = {"listened_at": 1793872800, "recording_msid": "m-1", "user_name": "lb-user",
              "track_metadata": {"artist_name": "Sigur Rós", "track_name": "Hoppípolla", "release_name": "Takk...",
                                 "additional_info": {"duration_ms": 268000, "isrc": "GBAAA0500001"},
                                 "mbid_mapping": {"recording_mbid": "aaaa-1111", "artist_mbids": ["x"]}}}
    other = {"listened_at": 1793873100, "user_name": "lb-user",
             "track_metadata": {"artist_name": "Björk", "track_name": "Jóga", "additional_info": {}}}
    export = tmp_path / "listenbrainz_lb-user.zip"
    with zipfile.ZipFile(export, "w") as z:
        z.writestr("user.json", json.dumps({"user_name": "lb-user"}))
        z.writestr("listens/2026/11.jsonl", json.dumps(listen) + "\n" + json.dumps(other) + "\n{broken\n")
        z.writestr("feedback.jsonl", json.dumps({"recording_mbid": "aaaa-1111", "score": -1, "created": 1793900000})
                   + "\n" + json.dumps({"recording_mbid": "bbbb", "score": 0, "created": 1793900000}) + "\n")
    with DuckDBEngine.open(settings.warehouse_path) as engine:
        report = import_files(engine, settings, "listenbrainz", [export], user="lb-user")
    f = report.events.files[0]
    assert report.records == 5 and (f.rows_read, f.accepted, f.quarantined) == (5, 3, 2)
    assert report.rules["added"] == 2 and report.rules["mbid"] == 1         # the dislike finds the listen's track
    assert _events(settings) == [("dislike", 1), ("play", 2)]


def test_lastfm_pages_and_csv(tmp_path):
    settings = load_settings(tmp_path / "home")
    page = {"recenttracks": {"@attr": {"user": "fm-user", "page": "1", "totalPages": "1"}, "track": [
        {"artist": {"#text": "Stromae", "mbid": ""}, "name": "Alors on danse", "album": {"#text": "Cheese"},
         "mbid": "", "@attr": {"nowplaying": "true"}},
        {"artist": {"#text": "Stromae", "mbid": ""}, "name": "Alors on danse", "album": {"#text": "Cheese"},
         "mbid": "", "date": {"uts": "1793872800", "#text": "04 Nov 2026, 10:00"}, "loved": "1"},
        {"artist": {"#text": "Rosalía"}, "name": "Malamente", "album": {"#text": ""},
         "date": {"uts": "1793873100"}}]}}
    pages = tmp_path / "recenttracks-1.json"
    pages.write_text(json.dumps(page))
    export = tmp_path / "scrobbles.csv"
    export.write_text("Stromae,Cheese,Alors On Danse,06 Nov 2026 10:00\nRosalia,,MALAMENTE,06 Nov 2026 10:05\n"
                      "only,two\nStromae,Cheese,Alors On Danse,05 Nov 2026 10:00\n")   # the last: already scrobbled
    with DuckDBEngine.open(settings.warehouse_path) as engine:
        first = import_files(engine, settings, "lastfm", [pages])
        second = import_files(engine, settings, "lastfm", [export], user="fm-user")
    # now playing left out; a loved track adds a save (its track found by name, just added)
    assert first.records == 4 and first.rules == {"left out": 1, "added": 2, "name": 1}
    assert second.rules == {"name": 3, "left out": 1}                       # the same tracks, spelt otherwise
    f = second.events.files[0]
    assert (f.rows_read, f.accepted, f.quarantined) == (4, 2, 2)            # the overlap is a duplicate
    assert _events(settings) == [("play", 4), ("save", 1)]


def test_the_command_prints_rates_and_refuses_unknown_sources(tmp_path, spotify_file, capsys):
    home = str(tmp_path / "home")
    assert run(["--home", home, "import", "spotify", str(spotify_file)]) == 0
    out = capsys.readouterr().out
    assert "how each went" in out and "added" in out and "podcast episode, not music" in out
    assert run(["--home", home, "import", "napster", str(spotify_file)]) == 2
    assert "Unknown source 'napster'" in capsys.readouterr().err
    assert run(["--home", home, "import", "spotify", str(tmp_path / "missing.json")]) == 2


def test_jspf_names_recordings_and_m3u_paths_are_relative_to_the_music_folder(tmp_path):
    from tastemaker.weekly.export import export_week
    from tastemaker.weekly.generate import generate_week
    from tastemaker.train import train_collaborative
    settings = load_settings(tmp_path / "home")
    music = tmp_path / "music"
    catalog = tmp_path / "catalog.csv"
    catalog.write_text("track_id,title,artist_name,uri,mbid\n" + "".join(
        f"t{i},Song {i},Artist {i % 30},{music / f'a{i % 30}' / f's{i}.flac'},{'rec-%d' % i if i % 2 else ''}\n"
        for i in range(90)))
    plays = tmp_path / "plays.csv"
    plays.write_text("user_id,track_id,ts\n" + "".join(
        f"u{u},t{(u * 7 + k * 3) % 90},2026-11-{1 + k % 20:02d}T10:00:00\n" for u in range(20) for k in range(8)))
    with DuckDBEngine.open(settings.warehouse_path) as engine:
        ingest_catalog(engine, [catalog])
        from tastemaker.ingest import ingest_events
        ingest_events(engine, [plays])
        train_collaborative(engine, settings)
        generate_week(engine, settings, week="2026-W48")
        jspf = export_week(engine, "2026-W48", "jspf", tmp_path / "out", users=["u1"])
        m3u = export_week(engine, "2026-W48", "m3u", tmp_path / "out", users=["u1"], relative_to=music)
    tracks = json.loads((jspf / "u1.jspf").read_text())["playlist"]["track"]
    assert len(tracks) == 30 and all(isinstance(t["identifier"], list) for t in tracks)
    named = [t for t in tracks if t["identifier"][0].startswith("https://musicbrainz.org/recording/rec-")]
    assert named and len(named) == sum(int(t["identifier"][-1].split(":t")[-1]) % 2 for t in tracks)
    lines = [ln for ln in (m3u / "u1.m3u").read_text().splitlines() if not ln.startswith("#")]
    assert len(lines) == 30 and all(ln.startswith("a") and ln.endswith(".flac") and "/" in ln for ln in lines)


def test_a_radio_playout_log_and_a_headerless_table_in_another_order(tmp_path):
    settings = load_settings(tmp_path / "home")
    log = tmp_path / "playout-2026-11.tsv"
    log.write_text("Date\tTime\tArtist\tSong\tRelease\n"
                   "2026-11-03\t07:00:12\tSigur Rós\tHoppípolla\tTakk...\n"
                   "2026-11-03\t07:04:40\tBjörk\tJóga\tHomogenic\n"
                   "2026-11-03\tlate\tBjörk\tJóga\tHomogenic\n"
                   "2026-11-03\t07:09:00\tStation ID\t\t\n")
    table = tmp_path / "scrobbles.csv"
    table.write_text("2026-11-04 10:00,Bjork,Homogenic,Joga\n1793873100,Sigur Ros,Takk,Hoppipolla\n")
    with DuckDBEngine.open(settings.warehouse_path) as engine:
        radio = import_files(engine, settings, "radio", [log], user="station-fm")
        mine = import_files(engine, settings, "lastfm", [table], user="fm-user", columns=["date", "artist", "album", "title"])
        with pytest.raises(Exception, match="--columns applies to lastfm and radio"):
            import_files(engine, settings, "spotify", [table], columns=["date"])
    f = radio.events.files[0]
    assert radio.records == 4 and (f.rows_read, f.accepted, f.quarantined) == (4, 2, 2)
    assert radio.rules == {"added": 2, "left out": 2}
    assert mine.rules == {"name": 2}                                        # the same songs, other spellings
    with DuckDBEngine.open(settings.warehouse_path, read_only=True) as engine:
        reasons = sorted(r for (r,) in engine.execute("SELECT reason FROM quarantine").fetchall())
    assert reasons == ["no time this importer can read in '2026-11-03 late'", "no title"]


def test_an_import_cut_short_finishes_on_a_rerun(tmp_path, spotify_file, monkeypatch):
    """A crash between the catalogue and the events of a file: the re-run loads the events, the
    same as an import that was never interrupted."""
    import tastemaker.imports as imports
    settings = load_settings(tmp_path / "home")
    real = imports.ingest_events

    def crash(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(imports, "ingest_events", crash)
    with DuckDBEngine.open(settings.warehouse_path) as engine:
        with pytest.raises(KeyboardInterrupt):
            import_files(engine, settings, "spotify", [spotify_file])
        assert engine.scalar("SELECT count(*) FROM tracks") == 3 and engine.scalar("SELECT count(*) FROM events") == 0
    monkeypatch.setattr(imports, "ingest_events", real)
    with DuckDBEngine.open(settings.warehouse_path) as engine:
        again = import_files(engine, settings, "spotify", [spotify_file])
    assert again.rules == {"id": 5, "left out": 4} and again.catalog is None
    assert _events(settings) == [("play", 2), ("skip", 2)]
    clean = load_settings(tmp_path / "clean")
    with DuckDBEngine.open(clean.warehouse_path) as engine:
        import_files(engine, clean, "spotify", [spotify_file])
    theirs = sorted(p.read_text() for p in (clean.home / "imports" / "spotify").glob("*.events.jsonl"))
    mine = sorted(p.read_text() for p in (settings.home / "imports" / "spotify").glob("*.events.jsonl"))
    assert len(mine) == 1 and mine == theirs                               # the same canonical events
