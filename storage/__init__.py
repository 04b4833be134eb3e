"""Storage: the SQLAlchemy Core schema, its Alembic migrations, and the :class:`Store`."""

from storage.store import Match, RunCounters, Store, database_url_for_display, open_store

__all__ = ["Match", "RunCounters", "Store", "database_url_for_display", "open_store"]
