import duckdb
import pytest

from tastemaker.errors import SchemaError
from tastemaker.engine.duckdb import SCHEMA_VERSION, DuckDBEngine
from tastemaker.engine.duckdb.schema import MIGRATIONS


def test_new_warehouse_has_the_current_schema(tmp_path):
    with DuckDBEngine.open(tmp_path / "w.duckdb") as wh:
        assert wh.schema_version() == SCHEMA_VERSION
        assert set(wh.table_counts()) >= {"users", "tracks", "events", "playlists"}


def test_older_warehouse_is_migrated(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(MIGRATIONS[0][2])
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.execute("INSERT INTO users VALUES (0, 'kept')")
    con.close()
    with DuckDBEngine.open(path) as wh:
        assert wh.schema_version() == SCHEMA_VERSION
        assert wh.scalar("SELECT user_id FROM users") == "kept"


def test_newer_warehouse_is_refused_with_advice(tmp_path):
    path = tmp_path / "new.duckdb"
    with DuckDBEngine.open(path) as wh:
        wh.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(SchemaError, match="newer than this tastemaker understands.*Upgrade"):
        DuckDBEngine.open(path)


def test_transaction_rolls_back_on_interrupt(tmp_path):
    with DuckDBEngine.open(tmp_path / "w.duckdb") as wh:
        with pytest.raises(KeyboardInterrupt):
            with wh.transaction():
                wh.execute("INSERT INTO users VALUES (0, 'a')")
                raise KeyboardInterrupt
        assert wh.scalar("SELECT count(*) FROM users") == 0


def test_read_only_open_migrates_an_older_warehouse_first(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(MIGRATIONS[0][2])
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.close()
    with DuckDBEngine.open(path, read_only=True) as wh:
        assert wh.schema_version() == SCHEMA_VERSION
