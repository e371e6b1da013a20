"""DuckDB's quirks, in one place: how it parses times, quotes names and writes a row as JSON.

The SQL shared with other engines (`tastemaker.engine.sql`) calls these for the few fragments no
two engines spell alike.
"""

from __future__ import annotations


def ident(name: str) -> str:
    """A column name as a quoted identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A string as a SQL literal."""
    return "'" + str(text).replace("'", "''") + "'"


#: text → timestamp: ISO 8601 (an offset is converted to UTC), or Unix seconds / milliseconds
_TS = """coalesce(TRY_CAST(TRY_CAST({x} AS TIMESTAMPTZ) AS TIMESTAMP),
    CASE WHEN TRY_CAST({x} AS DOUBLE) >= 1e11 THEN make_timestamp(CAST(TRY_CAST({x} AS DOUBLE) * 1000 AS BIGINT))
         WHEN TRY_CAST({x} AS DOUBLE) >= 1e8 THEN make_timestamp(CAST(TRY_CAST({x} AS DOUBLE) * 1000000 AS BIGINT))
    END)"""


def timestamp_from_text(expr: str) -> str:
    """The timestamp (UTC, no zone) that a text expression names, NULL when it names none."""
    return _TS.format(x=expr)


def row_json(alias: str, columns: list[str]) -> str:
    """The columns of a row (under `alias`) as one JSON object, as text."""
    fields = ", ".join(f"{ident(c.replace(chr(34), ''))} := {alias}.{ident(c)}" for c in columns)
    return f"to_json(struct_pack({fields}))::VARCHAR"


def struct_json(fields: dict[str, str]) -> str:
    """Named SQL expressions as one JSON object, as text."""
    inner = ", ".join(f"{ident(k.replace(chr(34), ''))} := {v}" for k, v in fields.items())
    return f"to_json(struct_pack({inner}))::VARCHAR"
