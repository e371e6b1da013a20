"""`tastemaker terms ARTIST` (the text model's top terms) and `tastemaker ingest documents`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import ParameterError
from ..ingest import IngestReport
from ..queries import artist_terms
from ..text.crawl import CrawlParams, crawl, read_seeds
from ..text.documents import ingest_documents
from ..text.sources import review_documents
from ..text.top import format_table
from . import common
from .ingest import ingest_app, print_report


def terms_cmd(
    artist: str = typer.Argument(..., help="Artist id or name"),
    kind: Optional[List[str]] = typer.Option(None, "--kind", help="n2, np, adj, unigram or tag; "
                                             "repeatable [default: n2, np, adj]"),
    track: Optional[str] = typer.Option(None, help="A track (id or title) of the artist instead"),
    n: int = typer.Option(10, "-n", help="Terms per kind"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
):
    """The terms people use about an artist, with weights (after tastemaker train text)."""
    kinds = tuple(kind or ("n2", "np", "adj"))
    with common.engine(read_only=True) as engine:
        terms = artist_terms(engine, artist, kinds=kinds, n=n, track=track)
    name = terms.name
    found = {k: [(t.term, t.weight, t.support) for t in v] for k, v in terms.terms.items()}
    if as_json:
        print(json.dumps({"artist": name, "track": track, "terms": {
            k: [{"term": t, "weight": w, "support": s} for t, w, s in v] for k, v in found.items()}}, indent=2))
        return
    if not any(found.values()):
        common.console.print(f"No terms for {name}: no documents about it with enough support "
                             f"(ingest documents, then tastemaker train text).")
        raise typer.Exit(1)
    print(f"Top terms for {name}" + (f" – {track}" if track else ""))
    print(format_table(found))


def documents_cmd(
    files: List[Path] = typer.Argument(..., help="Files or folders: .txt .md .html .jsonl .csv (.gz ok)"),
    kind: Optional[str] = typer.Option(None, help="web, text, tags, bio, review or demo [default: by format]"),
    max_bytes: int = typer.Option(20_000_000, help="Reject files larger than this"),
    preset: Optional[str] = typer.Option(None, help="needledrop: The Needle Drop transcripts (reliable "
                                         "artists only, boilerplate removed)"),
):
    """Ingest documents about music (articles, blogs, reviews); de-duplicated by URL and content."""
    if preset not in (None, "needledrop"):
        raise ParameterError(f"The 'preset' parameter must be 'needledrop'. Got {preset!r} instead.")
    with common.engine() as engine:
        if preset == "needledrop":
            report = IngestReport("documents", [review_documents(engine, f) for f in files])
        else:
            report = ingest_documents(engine, files, kind=kind, max_bytes=max_bytes)
    print_report(report)


def crawl_cmd(
    seeds: Path = typer.Option(..., "--seeds", help="A file of seed URLs, one per line"),
    max_pages: int = typer.Option(100, help="Page budget of this run"),
    max_bytes: int = typer.Option(50_000_000, help="Byte budget of this run"),
    max_depth: int = typer.Option(3, help="Links followed from a seed"),
    delay: float = typer.Option(1.0, help="Seconds between two requests to one host (or robots.txt's Crawl-delay)"),
    concurrency: int = typer.Option(4, help="Requests in flight in all"),
    per_host: int = typer.Option(1, help="Requests in flight per host"),
    retries: int = typer.Option(3, help="Retries of a timeout, 429 or 5xx, with exponential back-off"),
    allow: Optional[List[str]] = typer.Option(None, help="Another host that may be crawled (repeatable)"),
):
    """Crawl pages from seed URLs (same hosts, robots.txt obeyed) into documents; resumable."""
    params = CrawlParams(max_pages=max_pages, max_bytes=max_bytes, max_depth=max_depth, delay=delay,
                         concurrency=concurrency, per_host=per_host, retries=retries, allow=tuple(allow or ()))
    with common.engine() as engine:
        report = crawl(engine, read_seeds(seeds), params)
    common.console.print(common.table("Crawl", ["outcome", "pages"], sorted(report.statuses.items())))
    common.console.print(f"{report.fetched:,} pages fetched, {report.bytes:,} bytes, {report.documents:,} new "
                         f"documents; {report.queued_left:,} URLs still queued (run again to continue).")


def register(app: typer.Typer) -> None:
    app.command("terms")(terms_cmd)
    app.command("crawl")(crawl_cmd)
    ingest_app.command("documents")(documents_cmd)
