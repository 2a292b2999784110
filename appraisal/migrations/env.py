"""Alembic environment: the engine comes from the application (see appraisal/migrate.py)."""

from alembic import context

from appraisal.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters most columns by rebuilding the table (batch mode): a new table, a
            # copy, DROP of the old one. With foreign keys enforced, dropping a parent table
            # (organizations) deletes every row that cascades from it: the whole database.
            # So they are off while migrating (outside a transaction, where SQLite heeds the
            # pragma), checked afterwards, and on again before the connection is reused.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=sqlite,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
            connection.commit()
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")


run_migrations_online()
