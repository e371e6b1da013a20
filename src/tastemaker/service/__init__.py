"""`tastemaker serve`: the week over HTTP (FastAPI), read from the warehouse's published snapshot.

    >>> app = create_app(load_settings("demo-home"))     # uvicorn.run(app) or TestClient(app)

Reads only: the service opens the snapshot that `tastemaker.snapshots` publishes after every
write, so it keeps answering while ``ingest``, ``train`` and ``weekly generate`` run, and a new
week appears without a restart. Every answer comes from the query layer (`tastemaker.queries`),
as the command line's do.
"""

from .app import create_app

__all__ = ["create_app"]
