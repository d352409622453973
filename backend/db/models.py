"""Imports every feature's models so that metadata and Alembic see all tables."""

from backend.db.base import Base

# Feature model modules register themselves on `Base.metadata` when imported.
# Each feature adds its import here.

__all__ = ["Base"]
