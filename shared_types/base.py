"""The one base Struct for the API contract."""

from __future__ import annotations

import msgspec


class ApiStruct(
    msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=False
):
    """Base for every request and response body.

    `kw_only` keeps construction explicit as fields grow; unknown fields in a
    request are refused so that a misspelled field is an error, not silently
    ignored.
    """


class Page(ApiStruct):
    """Paging information returned beside every list."""

    total: int
    limit: int
    offset: int
