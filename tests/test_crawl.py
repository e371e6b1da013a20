"""The crawler against a local HTTP server on 127.0.0.1 (never an outside address)."""

from __future__ import annotations

import http.server
import threading

import pytest

from tastemaker.text.crawl import CrawlParams, crawl, read_seeds
from tastemaker.engine import DuckDBEngine

PAGES = {
    "/robots.txt": ("text/plain", "User-agent: *\nDisallow: /private\n"),
    "/": ("text/html", "<html><title>Home</title><nav>menu</nav><p>Dreamy French electronic duos and their "
                       "mellow records.</p><a href='/a'>a</a> <a href='/b#frag'>b</a> <a href='/private/x'>p</a>"
                       "<a href='/img.png'>img</a> <a href='/big'>big</a> <a href='/flaky'>f</a>"
                       "<a href='http://other.invalid/'>elsewhere</a></html>"),
    "/a": ("text/html", "<p>Dark synth pop with gloomy electronic lines, a classic record.</p><a href='/'>home</a>"),
    "/b": ("text/html", "<p>Perky Swedish pop from the disco era, and very catchy choruses.</p>"),
    "/private/x": ("text/html", "<p>Secret words that robots.txt keeps out of the crawl.</p>"),
    "/img.png": ("image/png", "\x89PNG not text"),
    "/big": ("text/html", "<p>" + "loud " * 20000 + "</p>"),
}


class _Handler(http.server.BaseHTTPRequestHandler):
    hits: dict = {}

    def do_GET(self):  # noqa: N802
        _Handler.hits[self.path] = _Handler.hits.get(self.path, 0) + 1
        if self.path == "/flaky" and _Handler.hits[self.path] < 2:
            self.send_error(503)
            return
        ctype, body = PAGES.get(self.path, ("text/html", "<p>Flaky page finally served with noisy guitars.</p>")
                                if self.path == "/flaky" else (None, None))
        if ctype is None:
            self.send_error(404)
            return
        data = body.encode("latin-1" if ctype == "image/png" else "utf-8")
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _Handler.hits = {}
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_crawl_is_polite_and_resumable(server, tmp_path):
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(f"# seeds\n{server}/\n")
    wh = DuckDBEngine.open(None)
    params = CrawlParams(max_pages=3, delay=0.01, backoff=0.01, concurrency=2, max_page_bytes=50_000)
    first = crawl(wh, read_seeds(seeds), params)
    assert first.fetched == 3 and first.queued_left > 0                        # page budget
    second = crawl(wh, read_seeds(seeds), CrawlParams(max_pages=50, delay=0.01, backoff=0.01,
                                                      max_page_bytes=50_000))
    status = dict(wh.execute("SELECT url, status || coalesce(': ' || reason, '') FROM crawl_queue").fetchall())
    assert status[f"{server}/private/x"] == "skipped: disallowed by robots.txt"
    assert "/private/x" not in _Handler.hits
    assert status[f"{server}/img.png"].startswith("skipped: content type image/png")
    assert status[f"{server}/big"].startswith("skipped: too large")
    assert status[f"{server}/flaky"] == "done" and _Handler.hits["/flaky"] == 2       # retried after 503
    assert f"{server}/b" in status and f"{server}/b#frag" not in status
    assert not any("other.invalid" in u for u in status)                             # other hosts never queued
    assert _Handler.hits["/"] == 1                                                   # each page once
    texts = [r[0] for r in wh.execute("SELECT text FROM documents ORDER BY doc_id").fetchall()]
    assert len(texts) == 4 and any("Swedish pop" in t for t in texts)
    assert second.queued_left == 0


def test_seeds_must_be_urls(tmp_path):
    from tastemaker.errors import InputError
    bad = tmp_path / "seeds.txt"
    bad.write_text("not a url\n")
    with pytest.raises(InputError, match="expected http"):
        read_seeds(bad)
