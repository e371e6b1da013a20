"""`tastemaker serve [--host 127.0.0.1 --port 8000]`: the HTTP API over the home's snapshot."""

from __future__ import annotations

import typer

from .. import snapshots
from ..errors import TastemakerError
from . import common


def serve_cmd(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (0.0.0.0: every interface)"),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port"),
    forwarded_allow_ips: str = typer.Option(
        "127.0.0.1", help="Addresses of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto "
                          "are believed (comma-separated, '*' for any): rate limits then count the "
                          "client's address, not the proxy's"),
    root_path: str = typer.Option("", help="The path prefix the proxy serves the API under, e.g. /tastemaker"),
):
    """Serve the weeks over HTTP (JSON API under /v1, OpenAPI at /docs). Reads a read-only
    snapshot of the warehouse, so it keeps answering while ingest, train and weekly generate run;
    each of them publishes a new snapshot when it ends."""
    import uvicorn

    from ..service import create_app

    settings = common.settings()
    snapshots.folder(settings).mkdir(parents=True, exist_ok=True)
    if snapshots.current(settings) is None and settings.warehouse_path.exists():
        try:
            with common.engine() as engine:     # publishes the first snapshot on the way out
                del engine
        except TastemakerError as exc:
            common.console.print(f"no snapshot yet ({exc}); the service answers 503 until a "
                                 f"command that writes publishes one")
    common.console.print(f"serving {settings.home} on http://{host}:{port}  (API docs: /docs)")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning", proxy_headers=True,
                forwarded_allow_ips=forwarded_allow_ips, root_path=root_path)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_cmd)
