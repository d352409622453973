"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from backend.db.base import Base
from backend.db.migrate import downgrade, upgrade
from backend.db.session import create_db_engine

CORE_TABLES = {
    "companies",
    "users",
    "auth_sessions",
    "employees",
    "payroll_runs",
    "payslips",
    "payslip_documents",
}


def _schema_differences(url: str) -> list[object]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_db_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrations_upgrade_empty_database_to_models(
    migrated_database_url: str,
) -> None:
    """An empty database upgraded to every head has no difference from the models."""
    assert _tables(migrated_database_url) >= CORE_TABLES
    assert _schema_differences(migrated_database_url) == []


def test_migrations_payroll_core_downgrades_cleanly(database_url: str) -> None:
    """The payroll core revision can be undone and redone."""
    upgrade(database_url, "0001_payroll_core")
    assert _tables(database_url) >= CORE_TABLES
    downgrade(database_url, "base")
    assert not CORE_TABLES & _tables(database_url)
    upgrade(database_url, "0001_payroll_core")
    assert _tables(database_url) >= CORE_TABLES
