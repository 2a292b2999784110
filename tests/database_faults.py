"""Making a test's database refuse writes: read-only per connection (SQLite `PRAGMA
query_only`, PostgreSQL `READ ONLY` session characteristics, so tests run on both), or full
(SQLite's `max_page_count` after filling the free pages, so a write that needs a new page fails
with SQLITE_FULL exactly as on a full disk)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from appraisal.models import utcnow


class Freezer:
    """Makes every new connection of the app's engine refuse writes, until the test ends."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.hooks: list = []

    @property
    def sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def _on_connect(self, *statements: str) -> None:
        def hook(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            for statement in statements:
                cursor.execute(statement)
            cursor.close()
            if not self.sqlite:
                dbapi_connection.commit()  # a SET inside a rolled-back transaction is undone

        event.listen(self.engine, "connect", hook)
        self.hooks.append(hook)
        self.engine.dispose()  # pooled connections were opened before

    def read_only(self) -> None:
        if self.sqlite:
            self._on_connect("PRAGMA query_only = ON")
        else:
            self._on_connect("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")

    def full(self, login: str = "hr@acme.example", address: str = "127.0.0.1") -> None:
        """Fill the database to its last page with long-expired sign-in counters shaped like
        the next one (keys of the same length), so charging the next attempt needs a new page:
        the write fails with SQLITE_FULL, exactly as on a full disk. Expired counters hold
        nobody back."""
        if not self.sqlite:
            pytest.skip("a full database is simulated with SQLite's max_page_count")
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            pages = cursor.execute("PRAGMA page_count").fetchone()[0]
            cursor.execute(f"PRAGMA max_page_count = {pages}")
            long_ago = (utcnow() - timedelta(days=2)).replace(tzinfo=None).isoformat(sep=" ")
            width = len(f"account:{login}")
            batch, filled = 1000, 0
            while batch:
                rows = [
                    (f"filler:{filled + i}".ljust(width, "x"), 0, long_ago, 1) for i in range(batch)
                ]
                try:
                    cursor.executemany(
                        "INSERT INTO sign_in_counters (key, failures, blocked_until, version)"
                        " VALUES (?, ?, ?, ?)",
                        rows,
                    )
                except Exception as error:  # SQLITE_FULL, the point
                    assert "full" in str(error)
                    raw.rollback()
                    batch //= 10
                else:
                    raw.commit()
                    filled += batch
            capped_at = cursor.execute("PRAGMA page_count").fetchone()[0]
        finally:
            raw.close()
        self._on_connect(f"PRAGMA max_page_count = {capped_at}")

    def thaw(self) -> None:
        for hook in self.hooks:
            event.remove(self.engine, "connect", hook)
        self.engine.dispose()
