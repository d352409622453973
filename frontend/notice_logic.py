"""Where a notice leads in the UI, free of Reflex.

The API's notices carry a link to the API resource they are about (for
example `/api/companies/4/status?month=2026-11`); a person needs the page
that shows it (`/kivra/status?month=2026-11`).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

_COMPANY_PATH = re.compile(r"^/api/companies/\d+/(?P<rest>.*)$")
_RUN_PATH = re.compile(r"^payroll-runs/(?P<period>\d{4}-\d{2})(/.*)?$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")


def ui_link(link: str | None) -> str:
    """The UI route for a notice's link; "" when there is no page to open."""
    parts = urlsplit(link or "")
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return ""
    if not parts.path.startswith("/api/"):
        return link or ""
    match = _COMPANY_PATH.match(parts.path)
    if match is None:
        return ""
    return _company_route(match.group("rest").rstrip("/"), parse_qs(parts.query))


def _company_route(rest: str, query: dict[str, list[str]]) -> str:
    """The UI page for a company resource (`status`, `kivra/card`, a run ...)."""
    run = _RUN_PATH.match(rest)
    month = query.get("month", [""])[0]
    if rest == "status" and _MONTH.match(month):
        route = "/kivra/status?" + urlencode({"month": month})
    elif rest == "status":
        route = "/kivra/status"
    elif rest in ("kivra/card", "agreement") or rest.startswith("agreement/"):
        route = "/fler-losningar"
    elif run is not None:
        route = "/lonekorning?" + urlencode({"period": run.group("period")})
    else:
        route = ""
    return route
