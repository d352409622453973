"""The API answers over HTTP on both databases."""

import httpx

from backend.app import create_app
from backend.settings import Settings
from tests.support import serve_asgi


def test_health_reports_database(migrated_database_url: str) -> None:
    app = create_app(Settings(database_url=migrated_database_url))
    with serve_asgi(app) as base:
        response = httpx.get(f"{base}/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] in {"sqlite", "postgresql"}


def test_unknown_path_is_problem_details_in_swedish(migrated_database_url: str) -> None:
    app = create_app(Settings(database_url=migrated_database_url))
    with serve_asgi(app) as base:
        sv = httpx.get(f"{base}/api/nothing-here")
        en = httpx.get(f"{base}/api/nothing-here", headers={"Accept-Language": "en"})
    assert sv.status_code == 404
    assert sv.headers["content-type"].startswith("application/problem+json")
    assert sv.json()["code"] == "not_found"
    assert sv.json()["title"] == "Det du sökte finns inte."
    assert en.json()["title"] == "Not found."
