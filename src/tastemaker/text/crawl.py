"""A polite crawler: ``tastemaker crawl --seeds FILE`` follows links into ``documents``.

- Scope: only the hosts of the seed URLs (plus any ``allow``), http(s) only, up to ``max_depth``
  links from a seed.
- Politeness: robots.txt of each host is read first and obeyed (for our user agent; an
  unreachable or missing robots.txt allows all, a 401/403 disallows all); at least ``delay``
  seconds between two requests to one host; at most ``per_host`` requests to a host at a time
  and ``concurrency`` in all.
- Budgets and checks: at most ``max_pages`` pages and ``max_bytes`` bytes per run; a page must
  be text/html or text/plain and at most ``max_page_bytes`` long, else it is skipped with the
  reason.
- Failures: timeouts, connection errors, 429 and 5xx are retried with exponential back-off
  (``backoff`` × 2^attempt), at most ``retries`` times, then marked failed with the reason.
- Resumable: the frontier lives in ``crawl_queue``; a later run continues with what is queued.
Fetched pages go through the ingest rules of documents (main text, dedupe by URL and content).
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import datetime as dt
import time
import urllib.error
import urllib.request
import urllib.robotparser
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

from ..engine import Engine
from ..errors import InputError, check_param
from ..ingest.ledger import FileReport
from .documents import BadDocument, Document, parse_date, store_documents
from .html import main_text

USER_AGENT = "tastemaker-crawler/0.1 (+https://example.invalid/tastemaker)"
_TYPES = ("text/html", "text/plain", "application/xhtml+xml")


@dataclass
class CrawlParams:
    max_pages: int = 100
    max_bytes: int = 50_000_000
    max_page_bytes: int = 5_000_000
    max_depth: int = 3
    delay: float = 1.0
    concurrency: int = 4
    per_host: int = 1
    retries: int = 3
    backoff: float = 1.0
    timeout: float = 20.0
    allow: tuple[str, ...] = ()

    def __post_init__(self):
        for name in ("max_pages", "max_bytes", "max_page_bytes", "concurrency", "per_host"):
            check_param("crawl", name, getattr(self, name), low=1, kind=int)
        for name in ("delay", "backoff", "timeout"):
            check_param("crawl", name, getattr(self, name), low=0, kind=(int, float))
        check_param("crawl", "max_depth", self.max_depth, low=0, kind=int)
        check_param("crawl", "retries", self.retries, low=0, kind=int)


@dataclass
class CrawlReport:
    fetched: int = 0
    documents: int = 0
    bytes: int = 0
    statuses: collections.Counter = field(default_factory=collections.Counter)
    queued_left: int = 0


class _Fetched:
    def __init__(self, url, status, body=b"", ctype="", reason="", retry=False):
        self.url, self.status, self.body, self.ctype, self.reason, self.retry = url, status, body, ctype, reason, retry


def read_seeds(path: Path) -> list[str]:
    if not path.is_file():
        raise InputError(f"{path}: the seeds file does not exist (expected one URL per line)")
    urls = [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
            if line.strip() and not line.lstrip().startswith("#")]
    bad = [u for u in urls if urlsplit(u).scheme not in ("http", "https") or not urlsplit(u).hostname]
    if bad:
        raise InputError(f"{path}: expected http(s) URLs, one per line; got {bad[:3]}")
    if not urls:
        raise InputError(f"{path}: no seed URLs (expected one http(s) URL per line)")
    return urls


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _fetch(url: str, p: CrawlParams) -> _Fetched:
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "text/html,text/plain"})
    try:
        with urllib.request.urlopen(req, timeout=p.timeout) as resp:
            ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
            length = resp.headers.get("Content-Length")
            if ctype and ctype not in _TYPES:
                return _Fetched(url, "skipped", reason=f"content type {ctype}: expected {', '.join(_TYPES)}")
            if length and length.isdigit() and int(length) > p.max_page_bytes:
                return _Fetched(url, "skipped", reason=f"too large: {int(length):,} bytes, limit {p.max_page_bytes:,}")
            body = resp.read(p.max_page_bytes + 1)
            if len(body) > p.max_page_bytes:
                return _Fetched(url, "skipped", reason=f"too large: over {p.max_page_bytes:,} bytes")
            return _Fetched(url, "done", body, ctype or "text/html")
    except urllib.error.HTTPError as exc:
        retry = exc.code == 429 or exc.code >= 500
        return _Fetched(url, "failed", reason=f"HTTP {exc.code}", retry=retry)
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        return _Fetched(url, "failed", reason=f"network error: {getattr(exc, 'reason', exc)}", retry=True)


def _robots(base: str, p: CrawlParams) -> urllib.robotparser.RobotFileParser:
    rp = urllib.robotparser.RobotFileParser()
    got = _fetch(base + "/robots.txt", CrawlParams(timeout=p.timeout, max_page_bytes=500_000))
    if got.status == "done":
        rp.parse(got.body.decode("utf-8", errors="replace").splitlines())
    elif got.reason in ("HTTP 401", "HTTP 403"):
        rp.disallow_all = True
    else:
        rp.allow_all = True
    return rp


def crawl(engine: Engine, seeds: list[str], params: CrawlParams | None = None, *, log=None) -> CrawlReport:
    """Crawl from `seeds` into ``documents`` (see the module docstring)."""
    p = params or CrawlParams()
    allowed = {_host(u) for u in seeds} | {h.lower() for h in p.allow}
    now = _now()
    engine.enqueue_urls([(urldefrag(u)[0], _host(u), 0) for u in seeds], now)
    report = CrawlReport()
    robots: dict[str, urllib.robotparser.RobotFileParser] = {}
    next_time: dict[str, float] = collections.defaultdict(float)
    busy: collections.Counter = collections.Counter()
    running: dict[cf.Future, tuple[str, int, int]] = {}
    file_report = FileReport("crawl", "ingested")
    with cf.ThreadPoolExecutor(max_workers=p.concurrency) as pool:
        while True:
            budget_left = report.fetched + len(running) < p.max_pages and report.bytes < p.max_bytes
            queue = engine.queued_urls(200) if budget_left else []
            started = False
            for url, host, depth, attempts, not_before in queue:
                if report.fetched + len(running) >= p.max_pages or len(running) >= p.concurrency:
                    break
                if host not in allowed:
                    _mark(engine, url, "skipped", f"host {host} not among the allowed hosts")
                    continue
                if busy[host] >= p.per_host or time.monotonic() < next_time[host] or not_before > _now():
                    continue
                if any(r[0] == url for r in running.values()):
                    continue
                scheme = urlsplit(url).scheme
                if host not in robots:
                    robots[host] = _robots(f"{scheme}://{host}", p)
                if not robots[host].can_fetch(USER_AGENT, url):
                    _mark(engine, url, "skipped", "disallowed by robots.txt")
                    report.statuses["skipped: robots.txt"] += 1
                    continue
                delay = robots[host].crawl_delay(USER_AGENT)
                next_time[host] = time.monotonic() + max(p.delay, float(delay or 0))
                busy[host] += 1
                running[pool.submit(_fetch, url, p)] = (url, depth, attempts)
                started = True
            if not running:
                if started or not budget_left:
                    break
                waiting = engine.queued_count()
                if not waiting:
                    break
                time.sleep(min(0.05 + p.delay / 4, 1.0))
                continue
            done, _ = cf.wait(list(running), timeout=0.05, return_when=cf.FIRST_COMPLETED)
            for fut in done:
                url, depth, attempts = running.pop(fut)
                busy[_host(url)] -= 1
                got = fut.result()
                _handle(engine, got, depth, attempts, p, allowed, report, file_report, log)
    report.queued_left = engine.queued_count()
    return report


def _mark(engine: Engine, url, status, reason=None, nbytes=None, doc_id=None, attempts=None, not_before=None):
    engine.mark_url(url, status, reason=reason, nbytes=nbytes, doc_id=doc_id, attempts=attempts,
                    updated_at=not_before or _now())


def _handle(engine: Engine, got: _Fetched, depth, attempts, p: CrawlParams, allowed, report: CrawlReport,
            file_report: FileReport, log) -> None:
    if got.status == "failed" and got.retry and attempts < p.retries:
        wait = p.backoff * (2 ** attempts)
        _mark(engine, got.url, "queued", got.reason, attempts=attempts + 1,
              not_before=_now() + dt.timedelta(seconds=wait))
        report.statuses["retried"] += 1
        return
    report.fetched += 1
    if got.status != "done":
        _mark(engine, got.url, got.status, got.reason, attempts=attempts + 1)
        report.statuses[f"{got.status}: {got.reason.split(':')[0]}"] += 1
        return
    report.bytes += len(got.body)
    text = got.body.decode("utf-8", errors="replace")
    if got.ctype == "text/plain":
        doc_text, title, links, published = text, None, [], None
    else:
        page = main_text(text)
        doc_text, title, links, published = page.text, page.title, page.links or [], page.published_at
    try:
        published = parse_date(published)
    except BadDocument:
        published = None
    before = file_report.accepted
    with engine.transaction():
        if doc_text.strip():
            store_documents(engine, [Document(text=doc_text, title=title, url=got.url, published_at=published,
                                          kind="web")], source="crawl", file_id=None, report=file_report)
        doc_id = engine.document_with_url(got.url)
        _mark(engine, got.url, "done", None if doc_text.strip() else "no readable text", len(got.body), doc_id,
              attempts + 1)
        if depth < p.max_depth:
            found = [urldefrag(urljoin(got.url, href))[0] for href in links]
            engine.enqueue_urls([(link, _host(link), depth + 1) for link in found
                                 if urlsplit(link).scheme in ("http", "https") and _host(link) in allowed], _now())
    report.documents += file_report.accepted - before
    report.statuses["done"] += 1
    if log:
        log(f"fetched {got.url} ({len(got.body):,} bytes)")
