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


#: text → timestamp: ISO 8601 (an offset is converted to UTC; one beyond ±14:00 names no place
#: on Earth and no time), or Unix seconds / milliseconds (up to the year 5138; larger numbers,
#: infinities and NaN name no time)
_TS = """CASE WHEN regexp_matches({x}, '[0-9][+-](1[5-9]|[2-9][0-9]):?[0-9][0-9]$') THEN NULL ELSE
    coalesce(TRY_CAST(TRY_CAST({x} AS TIMESTAMPTZ) AS TIMESTAMP),
    CASE WHEN TRY_CAST({x} AS DOUBLE) >= 1e14 OR NOT TRY_CAST({x} AS DOUBLE) <= 1e14 THEN NULL
         WHEN TRY_CAST({x} AS DOUBLE) >= 1e11 THEN make_timestamp(CAST(TRY_CAST({x} AS DOUBLE) * 1000 AS BIGINT))
         WHEN TRY_CAST({x} AS DOUBLE) >= 1e8 THEN make_timestamp(CAST(TRY_CAST({x} AS DOUBLE) * 1000000 AS BIGINT))
    END) END"""

#: characters that are invisible and carry no meaning in a name: zero-width space, joiners,
#: word joiner, byte-order mark
_ZERO_WIDTH = r"[\x{200B}\x{200C}\x{200D}\x{2060}\x{FEFF}]"
#: control characters (all but tab): never part of an id
_CONTROL = r"[\x00-\x08\x0A-\x1F\x7F]"


def timestamp_from_text(expr: str) -> str:
    """The timestamp (UTC, no zone) that a text expression names, NULL when it names none."""
    return _TS.format(x=expr)


def row_json(alias: str, columns: list[str]) -> str:
    """The columns of a row (under `alias`) as one JSON object, as text."""
    return struct_json({c: f"{alias}.{ident(c)}" for c in columns})


def struct_json(fields: dict[str, str]) -> str:
    """Named SQL expressions as one JSON object, as text. A name loses its double quotes (the
    binder cannot take them) and, if that makes it equal to another, gets a suffix (``a_2``)."""
    keys: list[str] = []
    for name in fields:
        key = base = name.replace(chr(34), "") or "column"
        n = 1
        while key.lower() in (k.lower() for k in keys):
            n += 1
            key = f"{base}_{n}"
        keys.append(key)
    inner = ", ".join(f"{ident(k)} := {v}" for k, v in zip(keys, fields.values()))
    return f"to_json(struct_pack({inner}))::VARCHAR"


def normalise_id(expr: str) -> str:
    """An id as one spelling: NFC-normalised, zero-width characters removed, NULL when empty."""
    # most ids are ASCII (as many characters as bytes): those need neither NFC nor the regex
    return (f"nullif(trim(CASE WHEN length({expr}) = strlen({expr}) THEN {expr} "
            f"ELSE regexp_replace(nfc_normalize({expr}), '{_ZERO_WIDTH}', '', 'g') END), '')")


def has_control(expr: str) -> str:
    """True when the text holds a control character (NUL, escape, …; not tab)."""
    return f"coalesce(regexp_matches({expr}, '{_CONTROL}'), FALSE)"


def listed(column: str, name: str) -> str:
    """True when `name` is one of the names in `column` (names separated by the unit separator)."""
    return f"coalesce(list_contains(string_split({column}, chr(31)), {literal(name)}), FALSE)"
