"""Alembic environment: the engine comes from the application (see appraisal/migrate.py)."""

from alembic import context

from appraisal.models import Base

config = context.config
target_metadata = Base.metadata


def _broken_links(connection) -> set[tuple]:
    """Rows whose foreign key points nowhere: (table, rowid, parent table); the constraint's
    number is left out, since a rebuilt table numbers its constraints anew."""
    found = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    return {(table, rowid, parent) for table, rowid, parent, _number in found}


def run_migrations_online() -> None:
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        broken_before: set[tuple] = set()
        if sqlite:
            # SQLite alters most columns by rebuilding the table (batch mode): a new table, a
            # copy, DROP of the old one. With foreign keys enforced, dropping a parent table
            # (organizations) deletes every row that cascades from it: the whole database.
            # So they are off while migrating (outside a transaction, where SQLite heeds the
            # pragma), checked afterwards for breaks the migration made, and on again before
            # the connection is reused.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            broken_before = _broken_links(connection)
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
                    broken = sorted(_broken_links(connection) - broken_before, key=str)
                    if broken:
                        raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
            connection.commit()
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")


run_migrations_online()
