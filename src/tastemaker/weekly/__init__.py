"""The week: 30 never-played tracks for every user, written atomically, exported, and followed up.

Modules: `generate` (``weekly generate``: the blend per batch of users, staged and swapped in
whole), `export` (JSON, CSV, Parquet, M3U, XSPF, JSPF), `feedback` (what users did with each week's lists),
`weeks` (ISO weeks). Import `generate` where the week is written: it brings every model with it.
"""
