"""The demo world: a seeded synthetic catalogue, listeners and listening logs in which taste,
sound and words are linked (see `tastemaker.demo.world` for how it is generated).

>>> from tastemaker.demo import generate_world, write_world
>>> world = generate_world(n_users=50, n_artists=20, tracks_per_artist=5, weeks=3,
...                        events_per_user_week=5, seed=7)
>>> world.params.test_week_start.isoformat()
'2026-11-16'
"""

from .events import iter_chunks
from .listening import KINDS, Chunk
from .model import World, WorldParams
from .output import CATALOG_COLUMNS, EVENT_COLUMNS, write_events_chunks, write_world
from .styles import STYLES, TIMBRES, Style, style_similarity
from .world import generate_world

__all__ = [
    "CATALOG_COLUMNS", "EVENT_COLUMNS", "KINDS", "STYLES", "TIMBRES", "Chunk", "Style", "World",
    "WorldParams", "generate_world", "iter_chunks", "style_similarity", "write_events_chunks",
    "write_world",
]
