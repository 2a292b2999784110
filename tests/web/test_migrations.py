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
