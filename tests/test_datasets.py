"""Public dataset loaders: counts on the real files of ../shared/data match their SOURCE.md, loading
twice adds nothing, and a hand-made Audioscrobbler set checks alias resolution and quarantine."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from tests.conftest import shared_data
from typer.testing import CliRunner

from tastemaker.cli import app
from tastemaker.datasets import available, load_dataset
from tastemaker.errors import InputError, ParameterError
from tastemaker.engine import DuckDBEngine


def _counts(wh) -> dict[str, int]:
    return {t: wh.scalar(f"SELECT count(*) FROM {t}")
            for t in ("users", "artists", "tracks", "events", "artist_tags", "quarantine", "ingested_files")}


def _reload_adds_nothing(wh, name, path):
    before = _counts(wh)
    again = load_dataset(wh, name, path)
    assert {f.report.status for f in again.files} == {"skipped"}
    assert again.accepted == 0
    assert _counts(wh) == before


# -- Last.fm HetRec 2011 (real files) -------------------------------------------------------------

def test_lastfm_hetrec_counts_match_its_source(tmp_path):
    folder = shared_data("hetrec2011-lastfm-2k")
    with DuckDBEngine.open(tmp_path / "wh.duckdb") as wh:
        report = load_dataset(wh, "lastfm-hetrec", folder)
        assert not report.rejected_files
        # SOURCE.md: 1,892 users, 17,632 artists, 92,834 user-artist pairs, 186,479 tag assignments
        artists, plays, tags = (report.file(r) for r in ("artists", "plays", "tags"))
        assert (artists.rows_read, artists.accepted) == (17_632, 17_632)
        assert (plays.rows_read, plays.accepted) == (92_834, 92_834)
        assert tags.rows_read == 186_479
        # 390 tagged artists are missing from artists.dat: their 1,538 tags are quarantined
        assert (tags.accepted, tags.quarantined) == (184_941, 1_538)
        assert dict(tags.reasons) == {"unknown artist": 1_538}
        c = _counts(wh)
        assert (c["users"], c["artists"], c["tracks"], c["events"]) == (1_892, 17_632, 17_632, 92_834)
        assert c["artist_tags"] == 184_941

        with open(folder / "user_artists.dat", newline="") as f:
            total_weight = sum(int(r["weight"]) for r in csv.DictReader(f, delimiter="\t"))
        assert wh.scalar("SELECT sum(plays) FROM events WHERE kind = 'play' AND ts IS NULL") == total_weight
        # artists are the items: track id = artist id, title = the (UTF-8) name, url to attrs not uri
        row = wh.one("""SELECT t.title, a.name, t.uri, json_extract_string(t.attrs, '$.url')
                        FROM tracks t JOIN artists a USING (artist_idx) WHERE t.track_id = '1098'""")
        assert row[:3] == ("Björk", "Björk", None) and row[3].startswith("http://www.last.fm/music/")
        # events point at the artist's track: user 2 played artist 51 13,883 times (line 2)
        assert wh.one("""SELECT e.line, e.plays FROM events e JOIN users u USING (user_idx)
                         JOIN tracks t USING (track_idx) WHERE u.user_id = '2' AND t.track_id = '51'""") == (2, 13_883)
        # tags.dat is latin-1; dates come from day/month/year
        assert wh.scalar("SELECT count(*) FROM artist_tags WHERE tag = 'tropicália'") > 0
        first = wh.one("""SELECT a.artist_id, g.user_id, g.tagged_at::VARCHAR, g.source FROM artist_tags g
                          JOIN artists a USING (artist_idx) ORDER BY g.line LIMIT 1""")
        assert first == ("52", "2", "2009-04-01", "lastfm-hetrec")
        q = wh.one("SELECT line, reason FROM quarantine q JOIN ingested_files f USING (file_id) "
                   "WHERE f.path LIKE '%user_taggedartists.dat' ORDER BY line LIMIT 1")
        assert q[1].startswith("unknown artist: ")

        _reload_adds_nothing(wh, "lastfm-hetrec", folder)


# -- MSD Taste Profile (real files) -----------------------------------------------------------------

def test_msd_taste_profile_counts_match_its_source(tmp_path):
    folder = shared_data("msd-taste-profile-sample")
    with DuckDBEngine.open(tmp_path / "wh.duckdb") as wh:
        report = load_dataset(wh, "msd-taste-profile", folder)
        assert not report.rejected_files
        # SOURCE.md: 42,739 rows, 1,630 users, 9,071 songs, listen_count 1 to 796
        plays = report.file("plays")
        assert (plays.rows_read, plays.accepted, plays.quarantined) == (42_739, 42_739, 0)
        c = _counts(wh)
        assert (c["users"], c["tracks"], c["events"]) == (1_630, 9_071, 42_739)
        assert wh.one("SELECT min(plays), max(plays) FROM events") == (1, 796)
        # metadata (song_df_random10k.csv, 5,193 songs) covers about 54% of the songs played
        meta = report.file("songs")
        assert meta.accepted == wh.scalar("SELECT count(title) FROM tracks") == 4_877
        row = wh.one("""SELECT t.title, t.album, a.name, t.released FROM tracks t JOIN artists a USING (artist_idx)
                        WHERE t.track_id = 'SOALJAA12A6702085C'""")
        assert row[:3] == ("Move Along", "Move Along", "The All-American Rejects")
        assert row[3].year == 2005
        # year 0 means unknown, not the year 0
        assert wh.scalar("SELECT released FROM tracks WHERE track_id = 'SOAKIMP12A8C130995'") is None
        # the merged table's user and count columns do not leak into the catalogue
        assert wh.scalar("SELECT count(*) FROM tracks WHERE attrs LIKE '%listen_count%'") == 0
        _reload_adds_nothing(wh, "msd-taste-profile", folder)


def test_msd_accepts_the_triplets_file_and_unique_tracks(tmp_path):
    folder = tmp_path / "msd"
    folder.mkdir()
    (folder / "train_triplets.txt").write_text(
        "u1\tSOA\t3\nu1\tSOB\t1\nu2\tSOA\t2\nu2\tSOC\tmany\n")
    (folder / "unique_tracks.txt").write_text(
        "TRA<SEP>SOA<SEP>Artist A<SEP>Song A\nTRB<SEP>SOB<SEP>Artist B<SEP>Song B\n"
        "broken line\nTRZ<SEP>SOZ<SEP>Nobody<SEP>Unplayed\n")
    with DuckDBEngine.open(None) as wh:
        report = load_dataset(wh, "msd-taste-profile", folder / "train_triplets.txt")
        plays, meta = report.file("plays"), report.file("songs")
        assert (plays.accepted, plays.quarantined) == (3, 1)
        assert (meta.accepted, meta.quarantined) == (2, 1)  # SOZ is not played: not a track
        assert wh.one("SELECT title, json_extract_string(attrs, '$.msd_track_id') FROM tracks "
                      "WHERE track_id = 'SOA'") == ("Song A", "TRA")
        assert wh.one("""SELECT q.line, q.reason, f.path FROM quarantine q JOIN ingested_files f USING (file_id)
                         WHERE f.target = 'catalog'""") == (
            3, "wrong number of fields: expected 4, found 1", str(folder / "unique_tracks.txt"))
        assert wh.scalar("SELECT count(*) FROM tracks") == 2  # SOC's only row was quarantined
        _reload_adds_nothing(wh, "msd-taste-profile", folder)


# -- Audioscrobbler 2005 format (hand-made) -------------------------------------------------------

def _audioscrobbler(folder: Path, *, artist_data: bytes | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "user_artist_data.txt").write_text(
        "1000001 10 5\n"        # 1
        "1000001 99 3\n"        # 2  alias 99 -> 10
        "1000002 10 7\n"        # 3
        "1000002 11 2\n"        # 4
        "1000002 98 4\n"        # 5  alias 98 -> 99 -> 10 (a chain)
        "broken line\n"         # 6  malformed: 2 fields
        "1000003 12 x\n"        # 7  count is not a number
        "\n"                    # 8  blank: not a row
        "1000003 11 1\n"        # 9
        "1000003 55 6\n")       # 10 55 is on an alias cycle: left as it is
    (folder / "artist_data.txt").write_bytes(artist_data or (
        "10\tThe Beatles\n"
        "99\tBeatles, The\n"     # an alias: left out
        "11\tRadiohead\n"
        "no tab here\n"          # malformed
        "55\tCycle\tBand\n"      # malformed: 3 fields
        "14\tNobody Played\n"    # unplayed: left out
        "98\tBeetles\n").encode())
    (folder / "artist_alias.txt").write_text(
        "99\t10\n"
        "98\t99\n"
        "\t11\n"                 # malformed: no alias id
        "97\n"                   # malformed: one field
        "55\t56\n"
        "56\t55\n")              # a cycle
    return folder


def _plays_by_user_and_track(wh) -> dict[tuple[str, str], int]:
    return {(u, t): p for u, t, p in wh.execute(
        """SELECT u.user_id, t.track_id, sum(e.plays)::INTEGER FROM events e JOIN users u USING (user_idx)
           JOIN tracks t USING (track_idx) GROUP BY ALL""").fetchall()}


def test_audioscrobbler_resolves_aliases_and_quarantines_malformed_lines(tmp_path):
    folder = _audioscrobbler(tmp_path / "profiledata")
    with DuckDBEngine.open(tmp_path / "wh.duckdb") as wh:
        report = load_dataset(wh, "audioscrobbler", folder)
        aliases, plays, artists = (report.file(r) for r in ("aliases", "plays", "artists"))
        assert (aliases.rows_read, aliases.accepted, aliases.quarantined) == (6, 2, 4)
        assert dict(aliases.reasons) == {"missing alias id (first field)": 1, "wrong number of fields": 1,
                                         "alias cycle": 2}
        assert (plays.rows_read, plays.accepted, plays.quarantined, plays.blank_lines) == (9, 7, 2, 1)
        assert dict(plays.reasons) == {"wrong number of fields": 1, "count is not a number": 1}
        assert (artists.accepted, artists.quarantined) == (2, 2)
        # plays of an alias (and of an alias of an alias) land on the canonical artist
        assert _plays_by_user_and_track(wh) == {
            ("1000001", "10"): 8, ("1000002", "10"): 11, ("1000002", "11"): 2, ("1000003", "11"): 1,
            ("1000003", "55"): 6}
        assert wh.scalar("SELECT count(*) FROM tracks WHERE track_id IN ('98', '99', '14')") == 0
        assert wh.one("SELECT title FROM tracks WHERE track_id = '10'") == ("The Beatles",)
        # quarantine points at the original files and lines, with the line as written
        q = wh.execute("""SELECT regexp_extract(f.path, '[^/]+$'), q.line, q.reason, q.raw
                          FROM quarantine q JOIN ingested_files f USING (file_id) ORDER BY 1, 2""").fetchall()
        assert [(name, line) for name, line, *_ in q] == [
            ("artist_alias.txt", 3), ("artist_alias.txt", 4), ("artist_alias.txt", 5), ("artist_alias.txt", 6),
            ("artist_data.txt", 4), ("artist_data.txt", 5),
            ("user_artist_data.txt", 6), ("user_artist_data.txt", 7)]
        assert ("user_artist_data.txt", 6, "wrong number of fields: expected 3, found 2", "broken line") in q
        assert wh.scalar("SELECT list(line ORDER BY line) FROM events") == [1, 2, 3, 4, 5, 9, 10]
        assert {r[0] for r in wh.execute("SELECT path FROM ingested_files").fetchall()} == {
            str(folder / n) for n in ("artist_alias.txt", "user_artist_data.txt", "artist_data.txt")}
        assert not list(tmp_path.glob(".tastemaker-dataset-*"))  # the rewrites are gone
        _reload_adds_nothing(wh, "audioscrobbler", folder)


def test_audioscrobbler_artist_names_in_latin1_are_read(tmp_path):
    folder = _audioscrobbler(tmp_path / "p", artist_data=b"10\tBj\xf6rk\n11\tRadiohead\n")
    with DuckDBEngine.open(None) as wh:
        report = load_dataset(wh, "audioscrobbler", folder)
        assert wh.scalar("SELECT title FROM tracks WHERE track_id = '10'") == "Björk"
        assert any("latin-1" in n for n in report.notes)


# -- errors ---------------------------------------------------------------------------------------

def test_missing_files_are_named(tmp_path):
    (tmp_path / "user_artist_data.txt").write_text("1 2 3\n")
    with DuckDBEngine.open(None) as wh:
        with pytest.raises(InputError, match="missing: artist_data.txt, artist_alias.txt"):
            load_dataset(wh, "audioscrobbler", tmp_path)
        with pytest.raises(InputError, match="missing: user_artists.dat, artists.dat"):
            load_dataset(wh, "lastfm-hetrec", tmp_path)
        with pytest.raises(InputError, match="train_triplets.txt"):
            load_dataset(wh, "msd-taste-profile", tmp_path)
        with pytest.raises(ParameterError, match="lastfm-hetrec"):
            load_dataset(wh, "movielens", tmp_path)
        assert wh.scalar("SELECT count(*) FROM ingested_files") == 0


def test_a_second_dataset_is_refused_in_the_same_warehouse(tmp_path):
    folder = _audioscrobbler(tmp_path / "a")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "10000.txt").write_text("u1\tSOA\t1\n")
    with DuckDBEngine.open(None) as wh:
        load_dataset(wh, "audioscrobbler", folder)
        with pytest.raises(InputError, match="already holds the audioscrobbler dataset"):
            load_dataset(wh, "msd-taste-profile", tmp_path / "m")


# -- command line ---------------------------------------------------------------------------------

def test_datasets_commands(tmp_path):
    runner = CliRunner()
    listed = runner.invoke(app, ["--home", str(tmp_path / "home"), "datasets", "list"])
    assert listed.exit_code == 0
    for d in available():
        assert d.name in listed.output
    assert "non-commercial" in listed.output and "research" in listed.output
    folder = _audioscrobbler(tmp_path / "profiledata")
    loaded = runner.invoke(app, ["--home", str(tmp_path / "home"), "--quiet", "datasets", "load",
                                 "audioscrobbler", str(folder)], env={"COLUMNS": "200"})
    assert loaded.exit_code == 0, loaded.output
    assert "user_artist_data.txt" in loaded.output and "wrong number of fields" in loaded.output
    assert "aliases resolved" in loaded.output
    missing = runner.invoke(app, ["--home", str(tmp_path / "home"), "datasets", "load", "audioscrobbler",
                                  str(tmp_path / "nowhere")])
    assert missing.exit_code != 0
