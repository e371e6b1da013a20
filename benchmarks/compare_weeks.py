"""Compare one week's lists in two warehouses, row by row: the check that a change of code left
the delivered lists as they were (same models, same data, another version of tastemaker).

    python benchmarks/compare_weeks.py A/warehouse.duckdb B/warehouse.duckdb --week 2026-W49

A row is (user, position, track, source, reason track, reason); scores are compared to 1e-5.
Prints the number of rows in each, the rows that differ, and the users whose list differs.
Exits 1 when anything differs.
"""

from __future__ import annotations

import argparse
import sys

import duckdb

KEY = "user_idx, position"
COLUMNS = ("track_idx", "source", "reason_track_idx", "reason")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--week", required=True)
    args = ap.parse_args()

    con = duckdb.connect()
    con.execute(f"ATTACH '{args.a}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{args.b}' AS b (READ_ONLY)")
    counts = [con.execute(f"SELECT count(*) FROM {side}.playlists WHERE week = ?",
                          [args.week]).fetchone()[0] for side in ("a", "b")]
    same = " AND ".join(f"a.{c} IS NOT DISTINCT FROM b.{c}" for c in COLUMNS)
    diff_rows, diff_users = con.execute(f"""
        WITH a AS (SELECT * FROM a.playlists WHERE week = $1),
             b AS (SELECT * FROM b.playlists WHERE week = $1)
        SELECT count(*), count(DISTINCT coalesce(a.user_idx, b.user_idx))
        FROM a FULL OUTER JOIN b USING ({KEY})
        WHERE a.track_idx IS NULL OR b.track_idx IS NULL OR NOT ({same})
           OR abs(a.score - b.score) > 1e-5
    """, [args.week]).fetchone()
    print(f"week {args.week}: {counts[0]:,} rows in A, {counts[1]:,} in B; "
          f"{diff_rows:,} rows differ, in the lists of {diff_users:,} users")
    sys.exit(1 if diff_rows or counts[0] != counts[1] else 0)


if __name__ == "__main__":
    main()
