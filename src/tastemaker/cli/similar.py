"""`tastemaker similar track|artist|user ID`"""

from __future__ import annotations

import json

import typer

from ..queries import similar
from . import common


def similar_cmd(
    kind: str = typer.Argument(..., help="track, artist or user"),
    key: str = typer.Argument(..., help="The id (an artist may also be given by name)"),
    n: int = typer.Option(10, "-n", min=1, max=10_000, help="How many neighbours"),
    model: str = typer.Option("collaborative", help="Which model's vectors"),
    embeddings: bool = typer.Option(False, "--embeddings", help="Text model: blend the term vectors with the "
                                    "MiniLM embeddings (after tastemaker train text --embeddings)"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
):
    """Nearest neighbours with cosine scores."""
    settings = common.settings()
    with common.engine(read_only=True) as engine:
        me, found = similar(engine, settings, kind, key, n=n, model=model, embeddings=embeddings)
    if as_json:
        print(json.dumps({"query": me.__dict__, "neighbours": [f.__dict__ for f in found]}, indent=2))
        return
    how = f"{model} vectors" + (" and MiniLM embeddings" if embeddings else "")
    common.console.print(common.table(f"{kind}s like {me.name} ({me.id}), by {how}",
                                      ["#", "id", "name", "score"],
                                      [(i + 1, f.id, f.name, round(f.score, 4)) for i, f in enumerate(found)]))


def register(app: typer.Typer) -> None:
    app.command("similar")(similar_cmd)
