"""The HTTP API, version 1: JSON answers shaped as ListenBrainz's (``{"payload": …}``), errors as
``application/problem+json``, never a stack trace."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import logging
import threading
import time
from collections import Counter
from pathlib import Path

from typing import Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from swagger_ui_bundle import swagger_ui_path
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__, queries
from ..config import Settings
from ..errors import NotFoundError, ParameterError, TastemakerError
from ..ingest import spool
from ..weekly.export import PLAYLIST_TYPES, playlist
from ..text.terms import KINDS as TERM_KINDS
from ..weekly.weeks import check_week
from .jobs import Busy, Jobs
from .keys import KeyRing
from .plots import PITCHES, analysis_svg, flow_svg
from .snapshot import Snapshot, Unavailable

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"
#: how long a client may keep a week's answer (a week changes only when it is generated again)
MAX_AGE = 300


def _problem(status: int, title: str, detail: str) -> JSONResponse:
    return JSONResponse({"type": "about:blank", "title": title, "status": status, "detail": detail},
                        status_code=status, media_type=PROBLEM)


def _plain(value):
    """Dataclasses, dates and paths as JSON values."""
    if dataclasses.is_dataclass(value):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return value


class WeeklyRun(BaseModel):
    week: str | None = None                 # default: this week
    ranking: str | None = Field(None, pattern="^(auto|learned|fixed|collaborative)$")


class TrainRun(BaseModel):
    kind: str = Field("collaborative", pattern="^(collaborative|text|audio|ranker)$")


class EventBatch(BaseModel):
    """Events as file ingest reads them: user_id, track_id, artist_id, kind, ts, count, ms_played."""

    events: list[dict[str, Any]]


class RateLimiter:
    """A budget of requests per minute for each key (or client address), fixed windows."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._windows: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def admit(self, who: str) -> tuple[bool, dict[str, str]]:
        now = time.time()
        window = int(now // 60)
        with self._lock:
            start, used = self._windows.get(who, (window, 0))
            if start != window:
                start, used = window, 0
            allowed = used < self.per_minute
            self._windows[who] = (start, used + allowed)
        left = self.per_minute - used - allowed
        headers = {"X-RateLimit-Limit": str(self.per_minute), "X-RateLimit-Remaining": str(max(0, left)),
                   "X-RateLimit-Reset": str(int((window + 1) * 60 - now) + 1)}
        return bool(allowed), headers


class Refused(Exception):
    def __init__(self, status: int, title: str, detail: str, headers: dict | None = None):
        super().__init__(detail)
        self.status, self.title, self.detail, self.headers = status, title, detail, headers or {}


def create_app(settings: Settings) -> FastAPI:
    snap = Snapshot(settings)
    ring = KeyRing(settings)
    jobs = Jobs(settings)
    limiter = RateLimiter(settings.service.requests_per_minute)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        snap.start()
        yield
        snap.close()

    app = FastAPI(title="tastemaker", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="A weekly discovery playlist for every listener of a music catalogue.")
    # the API page's scripts come from the package, not a CDN: these machines may have no internet
    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_path), name="swagger")

    app.mount("/static/page", StaticFiles(directory=Path(__file__).parent / "static"), name="page")

    @app.get("/", include_in_schema=False)
    def page():
        return FileResponse(Path(__file__).parent / "static" / "index.html")

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request):
        root = request.scope.get("root_path", "").rstrip("/")      # behind a proxy's path prefix
        return get_swagger_ui_html(openapi_url=root + app.openapi_url, title="tastemaker API",
                                   swagger_js_url=f"{root}/static/swagger/swagger-ui-bundle.js",
                                   swagger_css_url=f"{root}/static/swagger/swagger-ui.css",
                                   swagger_favicon_url=f"{root}/static/swagger/favicon-32x32.png")
    app.state.snapshot = snap

    def answer(payload: dict) -> dict:
        """An answer as ListenBrainz shapes them, carrying the model versions and when the
        snapshot it comes from was written (an answer about one run keeps that run's)."""
        for name, value in snap.provenance().items():
            payload.setdefault(name, value)
        return {"payload": payload}
    requests: Counter = Counter()

    def admitted(scope: str):
        """A dependency: the request's key allows `scope` (reads may need none) and its budget
        of requests is not spent."""
        async def check(request: Request):
            header = request.headers.get("authorization", "")
            key = None
            if header:
                kind, _, token = header.partition(" ")
                key = ring.find(token.strip()) if kind.lower() == "token" else None
                if key is None or key.revoked_at is not None:
                    raise Refused(401, "Unauthorized", "The key is unknown or revoked; send "
                                  "'Authorization: Token <key>' with a key from tastemaker keys create",
                                  {"WWW-Authenticate": "Token"})
            if key is None and (scope != "read" or settings.service.read_needs_key):
                raise Refused(401, "Unauthorized", f"This needs a key with the {scope} scope: send "
                              f"'Authorization: Token <key>' (tastemaker keys create --scope {scope})",
                              {"WWW-Authenticate": "Token"})
            if key is not None and not key.allows(scope):
                raise Refused(403, "Forbidden", f"The key {key.key_id} has the {key.scope} scope; "
                              f"this needs {scope}")
            ok, headers = limiter.admit(f"key:{key.key_id}" if key else
                                        f"ip:{request.client.host if request.client else '-'}")
            request.state.rate_headers = headers
            if not ok:
                raise Refused(429, "Too many requests", f"More than {limiter.per_minute} requests in "
                              f"this minute; wait {headers['X-RateLimit-Reset']} s",
                              {**headers, "Retry-After": headers["X-RateLimit-Reset"]})
            return key
        return Depends(check)

    reads = [admitted("read")]

    async def count(scope, receive, send):
        """Counts answers by route and status, adds the rate headers and the time taken (plain
        ASGI: a middleware class of the framework costs a fraction of a millisecond a request)."""
        if scope["type"] != "http":
            return await inner(scope, receive, send)
        start = time.perf_counter()

        async def sending(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                have = {k.lower() for k, _ in headers}
                for name, value in scope.get("state", {}).get("rate_headers", {}).items():
                    if name.lower().encode() not in have:
                        headers.append((name.encode(), value.encode()))
                headers.append((b"x-response-time-ms", f"{(time.perf_counter() - start) * 1000:.1f}".encode()))
                message = {**message, "headers": headers}
                route = scope.get("route")
                requests[(getattr(route, "path", "unmatched"), message["status"])] += 1
            await send(message)

        await inner(scope, receive, send=sending)

    @app.exception_handler(Refused)
    async def refused(request, exc):
        response = _problem(exc.status, exc.title, exc.detail)
        response.headers.update({**getattr(request.state, "rate_headers", {}), **exc.headers})
        return response

    def answer_with(status: int, title: str):
        async def handler(_request, exc):
            return _problem(status, title, str(exc))
        return handler

    # the most specific class wins (Busy before ParameterError, all before TastemakerError)
    for cls, status, title in ((Busy, 409, "Busy"), (NotFoundError, 404, "Not found"),
                               (ParameterError, 400, "Bad parameter"), (Unavailable, 503, "Not ready"),
                               (TastemakerError, 500, "The request could not be answered")):
        app.add_exception_handler(cls, answer_with(status, title))

    @app.exception_handler(RequestValidationError)
    async def invalid(_request, exc):
        parts = [f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}" for e in exc.errors()]
        return _problem(400, "Bad parameter", "; ".join(parts))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request, exc):
        return _problem(exc.status_code, "Not found" if exc.status_code == 404 else "Error", str(exc.detail))

    @app.exception_handler(Exception)
    async def bug(_request, exc):
        log.error("request failed unexpectedly", exc_info=exc)
        return _problem(500, "Internal error", f"unexpected {type(exc).__name__}; the service's log has "
                                               f"the details")

    @app.get("/healthz", include_in_schema=False)
    def healthz():
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz():
        return {"status": "ready", "snapshot": snap.name, "weeks": len(snap.weeks(wait=False))}

    @app.get("/metrics", include_in_schema=False, response_class=PlainTextResponse)
    def metrics():
        lines = ["# HELP tastemaker_requests_total Requests answered, by route and status.",
                 "# TYPE tastemaker_requests_total counter"]
        for (path, status), n in sorted(requests.items()):
            lines.append(f'tastemaker_requests_total{{route="{path}",status="{status}"}} {n}')
        return "\n".join(lines) + "\n"

    @app.get("/v1/status", dependencies=reads, summary="Models, weeks and table counts of the home")
    def get_status():
        with snap.engine() as engine:
            s = queries.status(engine, settings)
        return answer({"counts": s.counts, "models": _plain(s.models), "weeks": s.weeks,
                            "snapshot": snap.name})

    def recording_ids(track_ids):
        with snap.engine() as engine:
            return engine.recording_ids(track_ids)

    @app.get("/v1/users/{user_id}/weekly", dependencies=reads, summary="A user's list of a week (default the latest)",
             responses={204: {"description": "The user has no list that week"}})
    async def get_weekly(request: Request, user_id: str, week: str | None = None,
                         count: int = Query(30, ge=1, le=1000), offset: int = Query(0, ge=0),
                         format: str = Query("json", pattern="^(json|jspf|xspf|m3u)$")):
        # a week held in memory is answered on the event loop; any other needs the warehouse
        found = (snap.user_list(user_id, week) if snap.in_memory(week) else
                 await run_in_threadpool(snap.user_list, user_id, week))
        tag = '"' + hashlib.sha256(f"{found.week}|{found.run_id}|{user_id}|{count}|{offset}|{format}".encode()
                                   ).hexdigest()[:32] + '"'
        headers = {"ETag": tag, "Cache-Control": f"max-age={MAX_AGE}"}
        if request.headers.get("if-none-match") == tag:
            return Response(status_code=304, headers=headers)
        if not found.tracks:
            return Response(status_code=204, headers=headers)
        page = found.tracks[offset:offset + count]
        if format != "json":
            items = [dataclasses.asdict(t) for t in page]
            mbids = await run_in_threadpool(recording_ids, [t["track_id"] for t in items]) if format == "jspf" else None
            text = playlist(format, found.week, user_id, items, mbids)
            return Response(text, media_type=PLAYLIST_TYPES[format], headers=headers)
        return JSONResponse({"payload": {
            "user_id": user_id, "week": found.week, "count": len(page), "offset": offset,
            "total_count": len(found.tracks), "tracks": [t.__dict__ for t in page],
            "model_version": found.model_version, "models": found.models, "run_id": found.run_id,
            "last_updated": _plain(found.last_updated)}}, headers=headers)

    @app.get("/v1/users", dependencies=reads, summary="Listeners with a list in a week (default the latest)")
    def get_users(week: str | None = None, prefix: str = "", count: int = Query(50, ge=1, le=1000)):
        with snap.engine() as engine:
            return answer({"users": queries.listed_users(engine, week, prefix=prefix, limit=count)})

    @app.get("/v1/users/{user_id}/weekly/flow.svg", dependencies=reads,
             summary="Tempo and loudness across a user's list, as SVG", response_class=Response)
    def get_flow(user_id: str, week: str | None = None):
        found = snap.user_list(user_id, week)
        with snap.engine() as engine:
            features = []
            for t in found.tracks:
                try:
                    features.append(queries.track_features(engine, t.track_id))
                except NotFoundError:
                    features.append({})
        svg = flow_svg(f"{found.week} for {user_id}",
                       {"tempo": [f.get("tempo") for f in features],
                        "key": [f.get("key") if (f.get("key") or -1) >= 0 else None for f in features],
                        "loudness": [f.get("loudness") for f in features]},
                       {"tempo": "BPM", "loudness": "LUFS"}, names={"key": list(PITCHES)})
        # analyses may arrive within the week: no caching
        return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-cache"})

    @app.get("/v1/users/{user_id}/feedback", dependencies=reads,
             summary="What a user did with a list (default last week's): plays, saves, skips, dislikes")
    def get_list_feedback(user_id: str, week: str | None = None):
        with snap.engine() as engine:
            found = queries.list_feedback(engine, settings, user_id, week)
        return answer({"user_id": user_id, "week": found.week, "monday": found.monday.isoformat(),
                            "played": found.played, "saved": sum(t.saved for t in found.tracks),
                            "skipped": sum(t.skipped for t in found.tracks),
                            "disliked": sum(t.disliked for t in found.tracks), "tracks": _plain(found.tracks)})

    @app.get("/v1/users/{user_id}/weeks", dependencies=reads, summary="The weeks in which a user has a list")
    def get_user_weeks(user_id: str):
        with snap.engine() as engine:
            return answer({"user_id": user_id, "weeks": queries.user_weeks(engine, user_id)})

    @app.get("/v1/weeks", dependencies=reads, summary="The weeks generated, oldest first")
    def get_weeks():
        with snap.engine() as engine:
            return answer({"weeks": queries.weeks(engine)})

    @app.get("/v1/tracks/{track_id}", dependencies=reads, summary="A track of the catalogue")
    def get_track(track_id: str):
        with snap.engine() as engine:
            return answer(_plain(queries.track(engine, track_id)))

    @app.get("/v1/tracks/{track_id}/analysis", dependencies=reads, summary="The track's audio analysis (The Echo Nest's shape)")
    def get_analysis(track_id: str):
        with snap.engine() as engine:
            return {"payload": queries.track_analysis(engine, track_id)}     # the document as analysed

    @app.get("/v1/tracks/{track_id}/analysis.svg", dependencies=reads, response_class=Response,
             summary="The track's analysis drawn: sections, loudness, beats and bars, chroma (SVG)")
    def get_analysis_svg(track_id: str):
        with snap.engine() as engine:
            doc = queries.track_analysis(engine, track_id)
            shown = queries.track(engine, track_id)
        title = f"{shown.artist or ''} – {shown.title or track_id}".strip(" –")
        return Response(analysis_svg(title, doc), media_type="image/svg+xml",
                        headers={"Cache-Control": f"max-age={MAX_AGE}"})

    @app.get("/v1/tracks/{track_id}/features", dependencies=reads, summary="The track's audio features (tempo, key, loudness, …)")
    def get_features(track_id: str):
        with snap.engine() as engine:
            return answer(queries.track_features(engine, track_id))

    @app.get("/v1/artists/{artist}/terms", dependencies=reads, summary="What people write about an artist: top terms by kind")
    def get_terms(artist: str, count: int = Query(10, ge=1, le=1000),
                  kind: list[str] = Query(["n2", "np", "adj"])):
        unknown = sorted(set(kind) - set(TERM_KINDS))
        if unknown:
            raise ParameterError(f"unknown term kind(s) {unknown}; expected some of {list(TERM_KINDS)}")
        with snap.engine() as engine:
            return answer(_plain(queries.artist_terms(engine, artist, kinds=tuple(kind), n=count)))

    @app.get("/v1/artists/{artist}/comentioned", dependencies=reads,
             summary="Artists most written about alongside an artist")
    def get_comentioned(artist: str, count: int = Query(10, ge=1, le=1000)):
        with snap.engine() as engine:
            found = queries.comentioned(engine, artist, count)
        return answer({"artist": artist, "count": len(found), "artists": _plain(found)})

    @app.get("/v1/feedback.svg", dependencies=reads, response_class=Response,
             summary="Shares of delivered tracks played, saved and skipped, week by week (SVG)")
    def get_feedback_svg(weeks: int | None = Query(None, ge=1)):
        with snap.engine() as engine:
            report = queries.feedback_report(engine, settings, weeks=weeks)
        rows = report.weeks
        series = {name: [100 * r[f"{name}_rate"] for r in rows] for name in ("play", "save", "skip")}
        svg = flow_svg("What listeners did with each week's lists", series, {k: "%" for k in series},
                       ends=(rows[0]["week"], rows[-1]["week"]) if rows else None)
        return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-cache"})

    @app.get("/v1/feedback", dependencies=reads, summary="What listeners did with each week's lists, by source")
    def get_feedback(weeks: int | None = Query(None, ge=1)):
        with snap.engine() as engine:
            report = queries.feedback_report(engine, settings, weeks=weeks)
        return answer({"min_play_ms": report.min_play_ms, "weeks": _plain(report.weeks),
                            "notes": report.notes})

    @app.post("/v1/events", status_code=202, summary="Post listening events (plays, saves, skips, …)",
              responses={200: {"description": "The same Idempotency-Key was posted before: its answer"}})
    def post_events(batch: EventBatch, request: Request, key=admitted("write")):
        """Checked at once by the rules of file ingest; every row answered with its reason if it
        will be quarantined; the post waits in the spool for the next `tastemaker ingest spool`.
        Send an `Idempotency-Key` header: a retry with the same key is answered, not doubled."""
        limit = settings.service.max_events_per_post
        if not batch.events:
            raise ParameterError("events is empty: post at least one event")
        if len(batch.events) > limit:
            raise ParameterError(f"{len(batch.events):,} events in one post; at most {limit:,} "
                                 f"([service] max_events_per_post)")
        answer, replayed = spool.post(settings, batch.events, request.headers.get("idempotency-key"))
        return JSONResponse({"payload": answer}, status_code=200 if replayed else 202,
                            headers={"Idempotent-Replayed": "true"} if replayed else {})

    @app.post("/v1/admin/weekly", status_code=202, summary="Start writing a week's lists (admin)")
    def start_weekly(run: WeeklyRun, key=admitted("admin")):
        """Runs `tastemaker weekly generate` in a child process; the new week is served as soon
        as it ends (it publishes a snapshot). One job at a time: 409 while one runs."""
        args = ["weekly", "generate"] + (["--week", check_week(run.week)] if run.week else []) + (
            ["--ranking", run.ranking] if run.ranking else [])
        return answer(jobs.start(args).state())

    @app.post("/v1/admin/ingest", status_code=202, summary="Ingest the posted events waiting in the spool (admin)")
    def start_ingest(key=admitted("admin")):
        """Runs `tastemaker ingest spool` in a child process; one job at a time (409 while one runs)."""
        return answer(jobs.start(["ingest", "spool"]).state())

    @app.post("/v1/admin/train", status_code=202, summary="Train a model on the warehouse (admin)")
    def start_train(run: TrainRun, key=admitted("admin")):
        """Runs `tastemaker train KIND` in a child process (collaborative, text, audio or ranker);
        one job at a time (409 while one runs). Its models serve the next weekly run."""
        return answer(jobs.start(["train", run.kind]).state())

    @app.get("/v1/admin/jobs", summary="The batch jobs this service started (admin)")
    def list_jobs(key=admitted("admin")):
        return answer({"jobs": [j.state() for j in jobs.all()]})

    @app.get("/v1/admin/jobs/{job_id}", summary="A job's state and its last lines of output (admin)")
    def get_job(job_id: str, key=admitted("admin")):
        return answer(jobs.get(job_id).state())

    def _neighbours(kind: str, key: str, model: str, count: int):
        with snap.engine() as engine:
            me, found = queries.similar(engine, settings, kind, key, n=count, model=model)
        return answer({"query": _plain(me), "model": model, "count": len(found),
                            "neighbours": _plain(found)})

    @app.get("/v1/tracks/{track_id}/similar", dependencies=reads, summary="Tracks near a track, by a model's vectors")
    def similar_tracks(track_id: str, model: str = Query("collaborative", pattern="^(collaborative|audio)$"),
                       count: int = Query(10, ge=1, le=1000)):
        return _neighbours("track", track_id, model, count)

    @app.get("/v1/artists/{artist}/similar", dependencies=reads, summary="Artists near an artist (id or name)")
    def similar_artists(artist: str, model: str = Query("collaborative", pattern="^(collaborative|text)$"),
                        count: int = Query(10, ge=1, le=1000)):
        return _neighbours("artist", artist, model, count)

    @app.get("/v1/users/{user_id}/similar", dependencies=reads, summary="Listeners with the nearest taste")
    def similar_users(user_id: str, count: int = Query(10, ge=1, le=1000)):
        return _neighbours("user", user_id, "collaborative", count)

    inner = app.build_middleware_stack()
    app.middleware_stack = count
    return app
