"""OAuth2 client credentials and scopes, the way Kivra applies them.

A scope is `method[,method]:kivra.<path with dots>`; `*` matches one path
level and `**` that level and everything below. A token's scopes are fixed
when it is issued: a tenant created, or an access request accepted, after
that is outside the token until the client authenticates again.

Kivra's own examples mix versions (`kivra.v1.tenant.<key>.content` for a v2
path), so the version level (`v1`, `v2`) is not compared.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from datetime import timedelta

from backend.kivra_emulator.responses import KivraError
from backend.kivra_emulator.state import (
    TOKEN_LIFETIME_SECONDS,
    Client,
    EmulatorState,
    Token,
)

_VERSION = re.compile(r"^v\d+$")
ALL_METHODS = "get,post,put,patch,delete"


def client_scopes(state: EmulatorState, client_id: str) -> list[str]:
    """Return the full scope a client is granted right now."""
    scopes = [
        f"{ALL_METHODS}:kivra.v2.tenant",
        f"{ALL_METHODS}:kivra.v2.tenant.request_access.**",
        # Payment webhook definitions belong to the client, not to a tenant.
        f"{ALL_METHODS}:kivra.v2.webhooks.payments.**",
    ]
    scopes += [
        f"{ALL_METHODS}:kivra.v2.tenant.{t.key}.**"
        for t in sorted(state.client_tenants(client_id), key=lambda t: t.key)
    ]
    return scopes


def _split(scope: str) -> tuple[set[str], list[str]]:
    methods, _, path = scope.partition(":")
    if not path:
        # A scope without methods ("kivra.v1.tenant.<key>.*") allows any method.
        methods, path = "*", methods
    return {m.strip().lower() for m in methods.split(",")}, path.split(".")


def _levels_match(pattern: list[str], target: list[str]) -> bool:
    for index, part in enumerate(pattern):
        if part == "**":
            return True
        if index >= len(target):
            return False
        if part == "*" or part == target[index]:
            continue
        if index == 1 and _VERSION.match(part) and _VERSION.match(target[index]):
            continue
        return False
    return len(pattern) == len(target)


def scope_allows(granted: str, required: str) -> bool:
    """Tell whether the granted scope pattern covers the required scope."""
    g_methods, g_path = _split(granted)
    r_methods, r_path = _split(required)
    if "*" not in g_methods and not (r_methods & g_methods):
        return False
    return _levels_match(g_path, r_path)


def required_scope(method: str, path: str) -> str:
    """Name the scope a request needs: `post:kivra.v2.tenant.<key>.content`."""
    levels = [p for p in path.strip("/").split("/") if p]
    return f"{method.lower()}:kivra." + ".".join(levels)


def authenticate_client(state: EmulatorState, authorization: str | None) -> Client:
    """Check HTTP Basic credentials against the seeded clients."""
    if not authorization or not authorization.lower().startswith("basic "):
        raise KivraError(40104)
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise KivraError(40104) from None
    client_id, _, secret = decoded.partition(":")
    client = state.clients.get(client_id)
    if client is None or not secrets.compare_digest(client.secret, secret):
        raise KivraError(40104)
    return client


def issue_token(state: EmulatorState, client: Client, scope: str | None) -> Token:
    """Issue a token whose scope is frozen now, narrowed by `scope` if given.

    Raises:
        KivraError: 40003 when a requested scope is not within the client's grant.
    """
    granted = client_scopes(state, client.client_id)
    if scope:
        wanted = scope.split()
        for item in wanted:
            if not any(scope_allows(g, item) for g in granted):
                raise KivraError(40003, f"Scope not granted to this client: {item}")
        scopes = tuple(wanted)
    else:
        scopes = tuple(granted)
    token = Token(
        value=secrets.token_urlsafe(32),
        client_id=client.client_id,
        scopes=scopes,
        expires_at=state.now() + timedelta(seconds=TOKEN_LIFETIME_SECONDS),
    )
    state.tokens[token.value] = token
    return token


def bearer_token(state: EmulatorState, authorization: str | None) -> Token:
    """Return the valid token of a request, or raise 401 40100."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise KivraError(40100)
    token = state.tokens.get(authorization[7:].strip())
    if token is None or token.expires_at <= state.now():
        raise KivraError(40100)
    return token


def authorize(
    state: EmulatorState, authorization: str | None, method: str, path: str
) -> Token:
    """Authenticate the bearer and check its scope covers this request.

    Usermatch declares a `get:` scope although it is a POST; both are accepted.

    Raises:
        KivraError: 401 40100 without a valid token, 403 40300 outside its scope.
    """
    with state.lock:
        token = bearer_token(state, authorization)
        needed = [required_scope(method, path)]
        if "/usermatch/" in path:
            needed.append(required_scope("get", path))
        if not any(scope_allows(g, n) for g in token.scopes for n in needed):
            raise KivraError(
                40300, "The resource is outside the scope of the access token"
            )
        return token
