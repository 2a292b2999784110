"""The migrations build exactly the schema the models describe, and can be undone."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from appraisal.db import make_engine
from appraisal.migrate import downgrade, upgrade
from appraisal.models import Base


def test_migrated_schema_matches_the_models(database_url):
    engine = make_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_migrations_run_down_and_up_again(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    upgrade(engine)
    assert "employees" in inspect(engine).get_table_names()
    downgrade(engine, "base")
    assert "employees" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert "employees" in inspect(engine).get_table_names()
    engine.dispose()


def test_every_migration_keeps_the_rows_it_found_on_sqlite(tmp_path):
    """SQLite alters a table by rebuilding it; rebuilding `organizations` with foreign keys
    enforced dropped the old table and so deleted every row cascading from it (0025 once
    emptied a whole database). A company stored at the first revision survives every
    migration after it, one at a time, and foreign keys are enforced again afterwards."""
    from alembic.script import ScriptDirectory

    from appraisal.migrate import alembic_config

    engine = make_engine(f"sqlite:///{tmp_path / 'kept.sqlite'}")
    upgrade(engine, "0001")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO organizations (id, slug, name, active, created_at) "
            "VALUES (1, 'acme', 'Acme', 1, '2026-01-01')"
        )
        connection.exec_driver_sql(
            "INSERT INTO employees (id, number, name, status, created_at, organization_id) "
            "VALUES (1, 'E1', 'Ann', 'active', '2026-01-01', 1)"
        )
    script = ScriptDirectory.from_config(alembic_config(engine))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    for revision in revisions[revisions.index("0001") + 1 :]:
        upgrade(engine, revision)
        with engine.connect() as connection:
            found = connection.exec_driver_sql("SELECT number FROM employees").scalars().all()
            assert found == ["E1"], revision
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
