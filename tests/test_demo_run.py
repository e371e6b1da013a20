"""`tastemaker demo` end to end on a small world: every step runs and leaves what it promises."""

from tastemaker.config import load_settings
from tastemaker.demo.run import run_demo
from tastemaker.warehouse import Warehouse


def test_demo_runs_end_to_end_on_a_small_world(tmp_path):
    settings = load_settings(tmp_path / "home")
    result = run_demo(settings, n_users=150, n_artists=24, tracks_per_artist=5, weeks=4, seed=3,
                      audio_seconds=2.0, log=lambda *_: None)
    names = [name for name, _, _ in result.steps]
    assert names[0].startswith("Generating") and names[-1].startswith("Evaluating")
    assert result.week == "2026-W48"
    with Warehouse.open(settings.warehouse_path, read_only=True) as wh:
        users = wh.scalar("SELECT count(*) FROM users")
        assert wh.scalar("SELECT count(*) FROM playlists WHERE week = '2026-W48'") == 30 * users
        assert wh.scalar("SELECT count(*) FROM quarantine") == 0
    assert all(p.exists() for p in result.exports)
    rows = {r.name: r.metrics for r in result.comparison.results}
    assert set(rows) == {"popularity", "itemknn", "bpr", "als"}
    assert rows["als"]["recall"] > rows["popularity"]["recall"]
