"""Persistence: the declarative base, engines and sessions, Alembic migrations."""
