"""Names of the dependencies the app provides, for handler signatures.

Litestar 3 drops inferred dependencies, so handlers mark them explicitly:
`def handler(db_session: DbSession, settings: AppSettings) -> ...`.
"""

from __future__ import annotations

from typing import TypeAlias

from litestar.di import NamedDependency
from sqlalchemy.orm import Session

from backend.settings import Settings

DbSession: TypeAlias = NamedDependency[Session]
AppSettings: TypeAlias = NamedDependency[Settings]
