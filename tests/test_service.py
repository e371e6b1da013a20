"""The HTTP API through FastAPI's test client, on a tiny world: answers, errors as
problem+json, caching headers, and reads that go on while a writer holds the warehouse."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tastemaker import queries, snapshots
from tastemaker.cli import run
from tastemaker.engine import DuckDBEngine
from tastemaker.errors import NotFoundError
from tastemaker.service import create_app
from tastemaker.weekly.generate import generate_week

from .conftest import home_with_weeks

PROBLEM = "application/problem+json"


@pytest.fixture
def served(tiny_world):
    settings, _ = home_with_weeks(tiny_world)
    with TestClient(create_app(settings)) as client:
        yield settings, client


def _publish(settings):
    with DuckDBEngine.open(settings.warehouse_path) as engine:
        snapshots.publish(engine, settings)


def test_not_ready_until_a_snapshot_is_published(served):
    settings, client = served
    assert client.get("/healthz").json() == {"status": "ok"}
    waiting = client.get("/readyz")
    assert waiting.status_code == 503 and waiting.headers["content-type"] == PROBLEM
    assert "No snapshot of the warehouse yet" in waiting.json()["detail"]
    _publish(settings)
    assert client.get("/readyz").json()["weeks"] == 1


def test_a_users_week_with_paging_and_caching(served):
    settings, client = served
    _publish(settings)
    got = client.get("/v1/users/u1/weekly")
    assert got.status_code == 200 and got.headers["cache-control"] == "max-age=300"
    body = got.json()["payload"]
    assert body["week"] == "2026-W48" and body["count"] == body["total_count"] == 30
    assert [t["position"] for t in body["tracks"]] == list(range(1, 31))
    assert all(t["reason"] and t["source"] for t in body["tracks"]) and body["models"]
    page = client.get("/v1/users/u1/weekly", params={"count": 10, "offset": 25}).json()["payload"]
    assert page["count"] == 5 and [t["position"] for t in page["tracks"]] == [26, 27, 28, 29, 30]
    again = client.get("/v1/users/u1/weekly", headers={"If-None-Match": got.headers["etag"]})
    assert again.status_code == 304
    assert client.get("/v1/users/u1/weeks").json()["payload"]["weeks"] == ["2026-W48"]
    assert client.get("/v1/weeks").json()["payload"]["weeks"] == ["2026-W48"]


@pytest.mark.parametrize("path,params,status,detail", [
    ("/v1/users/nobody/weekly", {}, 404, "No user 'nobody'"),
    ("/v1/users/u1/weekly", {"week": "last week"}, 400, "A week reads YYYY-Www"),
    ("/v1/users/u1/weekly", {"week": "2026-W49"}, 404, "No playlists for 2026-W49"),
    ("/v1/users/u1/weekly", {"count": 0}, 400, "count"),
    ("/v1/users/u1/weekly", {"offset": -1}, 400, "offset"),
    ("/v1/tracks/t1/similar", {"model": "text"}, 400, "model"),
    ("/v1/tracks/nosuch/similar", {}, 404, "nosuch"),
    ("/v1/tracks/nosuch", {}, 404, "nosuch"),
    ("/v1/nothing/here", {}, 404, "Not Found"),
])
def test_errors_are_problems_that_say_what_to_change(served, path, params, status, detail):
    settings, client = served
    _publish(settings)
    got = client.get(path, params=params)
    assert got.status_code == status and got.headers["content-type"] == PROBLEM
    problem = got.json()
    assert problem["status"] == status and detail in problem["detail"], problem
    assert "Traceback" not in got.text


def test_a_bug_is_a_500_problem_without_a_trace(served, monkeypatch):
    settings, client = served
    _publish(settings)
    from tastemaker import queries

    def broken(*_a, **_k):
        raise ZeroDivisionError("planted")
    monkeypatch.setattr(queries, "track", broken)
    with TestClient(create_app(settings), raise_server_exceptions=False) as fresh:
        got = fresh.get("/v1/tracks/t1")
    assert got.status_code == 500 and got.headers["content-type"] == PROBLEM
    assert "ZeroDivisionError" in got.json()["detail"] and "planted" not in got.text


def test_neighbours_by_each_model(served):
    settings, client = served
    _publish(settings)
    tracks = client.get("/v1/tracks/t3/similar", params={"count": 5}).json()["payload"]
    assert tracks["count"] == 5 and tracks["query"]["id"] == "t3"
    # every answer says which models and which snapshot it comes from
    latest = {m.kind: m.latest for m in queries.models(settings)}
    assert tracks["models"] == latest and set(latest) == {"collaborative", "neighbours"}
    assert tracks["last_updated"].startswith("20") and client.get("/v1/weeks").json()["payload"]["models"] == latest
    # the tiny world's tastes are tracks i % 3: neighbours of t3 are of its group
    assert sum(int(n["id"][1:]) % 3 == 0 for n in tracks["neighbours"]) >= 4
    users = client.get("/v1/users/u1/similar").json()["payload"]
    assert users["count"] == 10 and "u1" not in [n["id"] for n in users["neighbours"]]
    assert client.get("/v1/artists/a0/similar").status_code == 200
    assert client.get("/v1/status").json()["payload"]["weeks"] == ["2026-W48"]
    metrics = client.get("/metrics").text
    assert 'route="/v1/tracks/{track_id}/similar",status="200"} 1' in metrics


def test_the_service_answers_while_the_batch_writes_and_sees_the_new_week(served, tiny_world, tmp_path, capsys):
    settings, client = served
    snapshots.folder(settings).mkdir()
    assert run(["--home", str(settings.home), "-q", "weekly", "generate", "--week", "2026-W49"]) == 0
    capsys.readouterr()
    with DuckDBEngine.open(settings.warehouse_path):     # a writer holds the warehouse ...
        got = client.get("/v1/users/u1/weekly")          # ... and the service still answers
        assert got.status_code == 200 and got.json()["payload"]["week"] == "2026-W49"
    newcomer = tmp_path / "new.csv"
    newcomer.write_text("user_id,track_id,ts\nu-new,t1,2026-11-30T10:00:00\n")
    assert run(["--home", str(settings.home), "-q", "ingest", "events", str(newcomer)]) == 0
    assert client.get("/v1/users/u-new/weekly").status_code == 404    # the newer copy loads aside ...
    client.app.state.snapshot.settle()
    assert client.get("/v1/users/u-new/weekly").status_code == 204    # ... then answers: known, no list yet
    assert len(list(snapshots.folder(settings).glob("warehouse-*.duckdb"))) == snapshots.KEEP


def test_lists_held_in_memory_are_the_warehouses_rows(served):
    """Every user's list of the week held in memory equals the one read from the warehouse; an
    older week is read from the warehouse; an unknown user is 404 either way."""
    settings, client = served
    with DuckDBEngine.open(settings.warehouse_path) as engine:
        generate_week(engine, settings, week="2026-W49")
    _publish(settings)
    snap = client.app.state.snapshot
    snap.settle()
    assert snap.in_memory(None) and snap.in_memory("2026-W49") and not snap.in_memory("2026-W48")
    with DuckDBEngine.open(snapshots.current(settings), read_only=True) as engine:
        users = engine.user_ids()
        assert len(users) > 20
        for user_id in users:
            for week in (None, "2026-W48", "2026-W49"):
                mine, theirs = snap.user_list(user_id, week), queries.user_list(engine, user_id, week)
                assert mine == theirs
                assert [tuple(map(type, vars(t).values())) for t in mine.tracks] == [
                    tuple(map(type, vars(t).values())) for t in theirs.tracks]
    for week in (None, "2026-W48"):
        with pytest.raises(NotFoundError):
            snap.user_list("nobody", week)
    listed = client.get("/v1/users/u1/weekly").json()["payload"]
    assert listed["week"] == "2026-W49" and len(listed["tracks"]) == 30 and listed["last_updated"]


def test_terms_analysis_and_feedback_say_when_there_is_nothing(served):
    settings, client = served
    _publish(settings)
    no_analysis = client.get("/v1/tracks/t1/analysis")
    assert no_analysis.status_code == 404 and "run tastemaker analyze" in no_analysis.json()["detail"]
    assert client.get("/v1/tracks/t1/features").status_code == 404
    bad_kind = client.get("/v1/artists/a0/terms", params={"kind": "verbs"})
    assert bad_kind.status_code == 400 and "unknown term kind" in bad_kind.json()["detail"]
    terms = client.get("/v1/artists/a0/terms")
    assert terms.status_code == 200 and terms.json()["payload"]["artist_id"] == "a0"
    feedback = client.get("/v1/feedback").json()["payload"]
    assert [w["week"] for w in feedback["weeks"]] == ["2026-W48"]
    assert client.get("/v1/feedback", params={"weeks": 0}).status_code == 400


def test_what_a_user_did_with_last_weeks_list(served, capsys):
    """The feedback loop: a player posts what the listener did with last week's list (a full
    play, a like, a dislike, a short play) and the next ingest, week and page see it."""
    settings, client = served
    from tastemaker.service import keys
    _, token = keys.create(settings, "write", "player")
    _publish(settings)
    delivered = [t["track_id"] for t in client.get("/v1/users/u1/weekly").json()["payload"]["tracks"]]
    events = [{"user_id": "u1", "track_id": delivered[0], "ts": "2026-11-24T10:00:00", "ms_played": 200000},
              {"user_id": "u1", "track_id": delivered[1], "ts": "2026-11-24T10:05:00", "kind": "like"},
              {"user_id": "u1", "track_id": delivered[2], "ts": "2026-11-24T10:06:00", "kind": "thumbs_down"},
              {"user_id": "u1", "track_id": delivered[3], "ts": "2026-11-24T10:07:00", "ms_played": 4000}]
    got = client.post("/v1/events", json={"events": events}, headers={"Authorization": f"Token {token}"})
    assert got.status_code == 202 and got.json()["payload"]["accepted"] == 4, got.text
    assert run(["--home", str(settings.home), "-q", "ingest", "spool"]) == 0
    assert run(["--home", str(settings.home), "-q", "weekly", "generate", "--week", "2026-W49"]) == 0
    capsys.readouterr()
    _publish(settings)
    client.app.state.snapshot.settle()
    seen = client.get("/v1/users/u1/feedback").json()["payload"]        # last week's: W48, before W49
    assert seen["week"] == "2026-W48" and len(seen["tracks"]) == 30
    assert (seen["played"], seen["saved"], seen["disliked"], seen["skipped"]) == (1, 1, 1, 1)
    by_track = {t["track_id"]: t for t in seen["tracks"]}
    assert by_track[delivered[2]]["disliked"] and by_track[delivered[3]]["skipped"]
    assert not by_track[delivered[3]]["plays"]                          # 4 s is a skip, not a play
    with DuckDBEngine.open(settings.warehouse_path, read_only=True) as engine:
        assert engine.interaction_sums(settings.signals.min_play_ms)["dislikes"].sum() == 1
    newer = {t["track_id"] for t in client.get("/v1/users/u1/weekly").json()["payload"]["tracks"]}
    assert not newer & set(delivered[:4])                               # heard, liked or disliked: not again
    assert client.get("/v1/users/u1/feedback", params={"week": "2026-W49"}).json()["payload"]["played"] == 0
    assert client.get("/v1/users/nobody/feedback").status_code == 404
    chart = client.get("/v1/feedback.svg")
    assert chart.status_code == 200 and "2026-W48" in chart.text and 'data-series="play"' in chart.text


def test_co_mentions_and_the_analysis_drawn(served):
    settings, client = served
    _publish(settings)
    assert client.get("/v1/artists/a0/comentioned").json()["payload"]["artists"] == []   # no text yet
    assert client.get("/v1/artists/nobody/comentioned").status_code == 404
    assert client.get("/v1/tracks/t1/analysis.svg").status_code == 404
    from tastemaker.service.plots import analysis_svg
    doc = {"track": {"duration": 8.0, "tempo": 120.0, "key": 9, "mode": 0, "loudness": -9.5},
           "sections": [{"start": 0.0, "duration": 4.0, "key": 9, "mode": 0},
                        {"start": 4.0, "duration": 4.0, "key": 0, "mode": 1}],
           "beats": [{"start": 0.5 * i, "duration": 0.5} for i in range(16)],
           "bars": [{"start": 2.0 * i, "duration": 2.0} for i in range(4)],
           "segments": [{"start": 0.25 * i, "duration": 0.25, "loudness_max": -20.0 + i % 5,
                         "loudness_max_time": 0.05, "pitches": [1.0 if p == i % 12 else 0.0 for p in range(12)]}
                        for i in range(32)]}
    svg = analysis_svg("A – Song", doc)
    assert svg.startswith("<svg") and svg.endswith("</svg>") and "A minor · 120 BPM" in svg
    assert svg.count('class="section"') == 2 and "C major" in svg
    ticks = {kind: svg.split(f'class="{kind}" d="')[1].split('"')[0].count("M") for kind in ("beats", "bars")}
    assert ticks == {"beats": 16, "bars": 4}
    assert svg.count("<rect x=") - 1 == 32           # a chroma cell per segment, and the background


def test_keys_scopes_and_rate_limits(served, capsys):
    settings, client = served
    _publish(settings)
    post = {"events": [{"user_id": "u1", "track_id": "t2", "ts": "2026-11-30T10:00:00"}]}
    anonymous = client.post("/v1/events", json=post)
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Token"
    assert run(["--home", str(settings.home), "keys", "create", "--scope", "read", "--name", "app"]) == 0
    read_token = capsys.readouterr().out.split(": ")[1].split()[0]
    refused = client.post("/v1/events", json=post, headers={"Authorization": f"Token {read_token}"})
    assert refused.status_code == 403 and "read scope" in refused.json()["detail"]
    bad = client.get("/v1/weeks", headers={"Authorization": "Token tmk_nonsense"})
    assert bad.status_code == 401
    assert client.get("/v1/weeks", headers={"Authorization": f"Token {read_token}"}).status_code == 200
    from tastemaker.service import keys
    [key] = keys.load(settings)
    assert read_token not in (settings.home / "service" / "keys.json").read_text()   # only its hash
    keys.revoke(settings, key.key_id)
    assert client.get("/v1/weeks", headers={"Authorization": f"Token {read_token}"}).status_code == 401
    import dataclasses
    tight = dataclasses.replace(settings, service=dataclasses.replace(settings.service, requests_per_minute=3))
    with TestClient(create_app(tight)) as limited:
        answers = [limited.get("/v1/weeks") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["x-ratelimit-limit"] == "3" and answers[2].headers["x-ratelimit-remaining"] == "0"
    assert int(answers[3].headers["retry-after"]) >= 1


def test_posted_events_are_checked_spooled_once_and_ingested(served, capsys):
    settings, client = served
    from tastemaker.service import keys
    _, token = keys.create(settings, "write", "player")
    auth = {"Authorization": f"Token {token}", "Idempotency-Key": "post-1"}
    events = [{"user_id": "u1", "track_id": "t2", "ts": "2026-11-30T10:00:00", "count": 2},
              {"user_id": "u1", "track_id": "t5", "kind": "dance", "ts": "2026-11-30T10:05:00"},
              {"user_id": "", "track_id": "t5"},
              {"user_id": "u2", "track_id": "t9", "kind": "save", "ts": "9999-01-01T00:00:00"}]
    got = client.post("/v1/events", json={"events": events}, headers=auth)
    assert got.status_code == 202, got.text
    answer = got.json()["payload"]
    assert answer["accepted"] == 1 and answer["quarantined"] == 3
    assert [r["index"] for r in answer["rejected"]] == [1, 2, 3]
    assert answer["rejected"][0]["reason"].startswith("unknown event kind 'dance'")
    again = client.post("/v1/events", json={"events": events}, headers=auth)
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["payload"] == answer
    assert len(list(_spooled(settings))) == 1
    before = _events(settings)
    assert run(["--home", str(settings.home), "-q", "ingest", "spool"]) == 0
    assert _events(settings) == before + 1
    assert run(["--home", str(settings.home), "-q", "ingest", "spool"]) == 0     # the spool is empty now
    assert "the spool is empty" in capsys.readouterr().out
    assert _events(settings) == before + 1
    too_many = client.post("/v1/events", json={"events": []}, headers={"Authorization": f"Token {token}"})
    assert too_many.status_code == 400 and "events is empty" in too_many.json()["detail"]
    not_json = client.post("/v1/events", content=b"{", headers={"Authorization": f"Token {token}",
                                                                "Content-Type": "application/json"})
    assert not_json.status_code == 400 and not_json.headers["content-type"] == PROBLEM


def _spooled(settings):
    return (settings.home / "spool").glob("*.jsonl")


def _events(settings):
    with DuckDBEngine.open(settings.warehouse_path, read_only=True) as engine:
        return engine.table_counts(["events"])["events"]


@pytest.mark.parametrize("fmt,media,marker", [
    ("jspf", "application/jspf+json", '"playlist"'), ("xspf", "application/xspf+xml", "<trackList>"),
    ("m3u", "audio/x-mpegurl", "#EXTM3U")])
def test_a_week_as_a_playlist_file(served, fmt, media, marker):
    settings, client = served
    _publish(settings)
    got = client.get("/v1/users/u1/weekly", params={"format": fmt})
    assert got.status_code == 200 and got.headers["content-type"].startswith(media)
    assert marker in got.text
    if fmt == "jspf":
        import json
        tracks = json.loads(got.text)["playlist"]["track"]
        assert len(tracks) == 30 and all(t["annotation"] and t["location"] for t in tracks)
    else:
        assert got.text.count("#EXTINF:" if fmt == "m3u" else "<track>") == 30


def test_the_api_page_needs_no_internet(served):
    _, client = served
    page = client.get("/docs")
    assert page.status_code == 200 and "/static/swagger/swagger-ui-bundle.js" in page.text
    assert "http://" not in page.text and "https://" not in page.text      # nothing from elsewhere
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
    assert client.get("/openapi.json").json()["paths"]["/v1/users/{user_id}/weekly"]


def test_an_admin_starts_a_week_and_watches_it(served):
    import time

    from tastemaker.service import keys
    settings, client = served
    snapshots.folder(settings).mkdir()
    _publish(settings)
    _, write = keys.create(settings, "write")
    _, admin = keys.create(settings, "admin")
    assert client.post("/v1/admin/weekly", json={}, headers={"Authorization": f"Token {write}"}).status_code == 403
    auth = {"Authorization": f"Token {admin}"}
    assert client.post("/v1/admin/weekly", json={"week": "9999-W01"}, headers=auth).status_code == 400
    started = client.post("/v1/admin/weekly", json={"week": "2026-W49"}, headers=auth)
    assert started.status_code == 202, started.text
    job = started.json()["payload"]["job_id"]
    again = client.post("/v1/admin/weekly", json={"week": "2026-W49"}, headers=auth)
    assert again.status_code in (202, 409)       # 409 while the first still runs
    deadline = time.time() + 120
    while (state := client.get(f"/v1/admin/jobs/{job}", headers=auth).json()["payload"])["state"] == "running":
        assert time.time() < deadline, state
        time.sleep(0.5)
    assert state["state"] == "done" and state["exit_code"] == 0, state
    while client.get("/v1/admin/jobs", headers=auth).json()["payload"]["jobs"][-1]["state"] == "running":
        time.sleep(0.5)
    client.app.state.snapshot.settle()
    assert client.get("/v1/weeks").json()["payload"]["weeks"] == ["2026-W48", "2026-W49"]
    assert client.get("/v1/admin/jobs/nosuch", headers=auth).status_code == 404
    assert client.post("/v1/admin/train", json={"kind": "magic"}, headers=auth).status_code == 400
    for path, body in (("/v1/admin/ingest", None), ("/v1/admin/train", {"kind": "collaborative"})):
        started = client.post(path, json=body, headers=auth)
        assert started.status_code == 202, started.text
        job, deadline = started.json()["payload"]["job_id"], time.time() + 120
        while (state := client.get(f"/v1/admin/jobs/{job}", headers=auth).json()["payload"])["state"] == "running":
            assert time.time() < deadline, state
            time.sleep(0.5)
        assert state["state"] == "done" and state["exit_code"] == 0, state


def test_the_web_page_and_its_plot(served):
    settings, client = served
    _publish(settings)
    page = client.get("/")
    assert page.status_code == 200 and '<script src="static/page/app.js">' in page.text
    assert "http://" not in page.text and "https://" not in page.text
    script = client.get("/static/page/app.js")
    assert script.status_code == 200 and "v1/users/" in script.text   # relative: works under a proxy prefix
    users = client.get("/v1/users", params={"prefix": "u1", "count": 5}).json()["payload"]["users"]
    assert users == sorted(users) and len(users) == 5 and all(u.startswith("u1") for u in users)
    flow = client.get("/v1/users/u1/weekly/flow.svg")
    assert flow.status_code == 200 and flow.headers["content-type"].startswith("image/svg+xml")
    assert "no audio analysis for these tracks yet" in flow.text      # the tiny world has no audio
    assert client.get("/v1/users/nobody/weekly/flow.svg").status_code == 404


def test_the_flow_plot_draws_each_series_with_gaps():
    from tastemaker.service.plots import flow_svg
    svg = flow_svg("w", {"tempo": [120.0, 124.0, None, 128.0], "loudness": [-9.0, -8.0, -7.0, -6.0]},
                   {"tempo": "BPM"})
    assert svg.count('data-series="tempo"') == 2 and svg.count('data-series="loudness"') == 1
    assert "tempo 120 to 128 BPM" in svg and svg.startswith("<svg") and svg.endswith("</svg>")


def test_every_write_and_admin_route_needs_its_key(served):
    """Found from the app's own routes, so a new write cannot slip in without auth."""
    from tastemaker.service import keys
    settings, client = served
    _publish(settings)
    tokens = {scope: keys.create(settings, scope)[1] for scope in ("read", "write", "admin")}
    guarded = [(method, route.path) for route in client.app.routes for method in getattr(route, "methods", ())
               if method == "POST" or route.path.startswith("/v1/admin")]
    assert {("POST", "/v1/events"), ("POST", "/v1/admin/weekly"), ("GET", "/v1/admin/jobs")} <= set(guarded)
    for method, path in guarded:
        path = path.replace("{job_id}", "nosuch")
        needs = "write" if path == "/v1/events" else "admin"
        assert client.request(method, path, json={}).status_code == 401, path
        for scope in ("read", "write", "admin"):
            status = client.request(method, path, json={}, headers={"Authorization": f"Token {tokens[scope]}"}).status_code
            allowed = scope == "admin" or scope == needs
            assert (status not in (401, 403)) == allowed, (path, scope, status)
    import time
    deadline = time.time() + 120           # the jobs an admin key started end before the home goes
    auth = {"Authorization": f"Token {tokens['admin']}"}
    while any(j["state"] == "running" for j in client.get("/v1/admin/jobs", headers=auth).json()["payload"]["jobs"]):
        assert time.time() < deadline
        time.sleep(0.5)
