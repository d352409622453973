"""The UI's API client: decoding answers and turning failures into messages."""

from __future__ import annotations

import httpx
import msgspec
import pytest
from litestar import Litestar, get

from backend.errors import EXCEPTION_HANDLERS, ConflictError
from frontend.api import ApiClient, ApiError
from tests.support import free_port, serve_asgi


class _Thing(msgspec.Struct):
    name: str


@get("/api/thing", sync_to_thread=False)
def _thing() -> dict[str, str]:
    return {"name": "lönebesked"}


@get("/api/conflict", sync_to_thread=False)
def _conflict() -> None:
    raise ConflictError(
        "Kivra behöver aktiveras först.",
        "Kivra must be activated first.",
        extra={"offer": {"version": "2026-1"}},
    )


@pytest.fixture(scope="module")
def api_url() -> object:
    app = Litestar([_thing, _conflict], exception_handlers=EXCEPTION_HANDLERS)
    with serve_asgi(app) as url:
        yield url


async def test_api_client_decodes_answer_into_struct(api_url: str) -> None:
    thing = await ApiClient(base_url=api_url).request("GET", "/api/thing", type_=_Thing)
    assert thing == _Thing(name="lönebesked")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("sv", "Kivra behöver aktiveras först."),
        ("en", "Kivra must be activated first."),
    ],
)
async def test_api_client_problem_details_in_users_language(
    api_url: str, language: str, expected: str
) -> None:
    with pytest.raises(ApiError) as caught:
        await ApiClient(language=language, base_url=api_url).request(
            "GET", "/api/conflict", type_=_Thing
        )
    assert caught.value.message == expected
    assert caught.value.status == 409
    assert caught.value.code == "conflict"
    assert caught.value.extra["offer"] == {"version": "2026-1"}


async def test_api_client_unreachable_api_gives_plain_message() -> None:
    client = ApiClient(base_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ApiError) as caught:
        await client.request("GET", "/api/thing", type_=_Thing)
    assert caught.value.status == 0
    assert "svarar inte" in caught.value.message


async def test_api_client_undecodable_answer_gives_plain_message() -> None:
    """A proxy's HTML page where JSON was expected: a wire case no real API makes."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>Bad gateway</html>")

    client = ApiClient(
        language="en",
        base_url="http://api.invalid",
        transport=httpx.MockTransport(handler),
    )
    with pytest.raises(ApiError) as caught:
        await client.request("GET", "/api/thing", type_=_Thing)
    assert caught.value.code == "undecodable"
    assert "could not be read" in caught.value.message


async def test_api_client_error_without_problem_body_uses_status_message() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, text="Forbidden")

    client = ApiClient(
        base_url="http://api.invalid", transport=httpx.MockTransport(handler)
    )
    with pytest.raises(ApiError) as caught:
        await client.request("GET", "/api/thing", type_=_Thing)
    assert caught.value.message == "Du har inte behörighet till detta."
