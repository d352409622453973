"""Imports every feature's models so that metadata and Alembic see all tables."""

# Feature model modules register themselves on `Base.metadata` when imported.
# Each feature adds its import here.
from backend.agreements import models as agreements_models  # noqa: F401
from backend.auth import models as auth_models  # noqa: F401
from backend.db.base import Base
from backend.delivery import models as delivery_models  # noqa: F401
from backend.invoices import models as invoices_models  # noqa: F401
from backend.invoices import webhook_models  # noqa: F401
from backend.legacy import models as legacy_models  # noqa: F401
from backend.notifications import models as notifications_models  # noqa: F401
from backend.payroll import models as payroll_models  # noqa: F401

__all__ = ["Base"]
