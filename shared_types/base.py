"""The one base Struct for the API contract."""

from __future__ import annotations

from typing import Annotated

import msgspec

# The largest id a row can have: the id columns are PostgreSQL `integer`.
MAX_ID = 2_147_483_647

# Every id a client sends in a body. A larger number can name no row, and
# PostgreSQL would refuse to compare it with an `integer` column at all, so
# it is refused here with the field's name instead.
RowId = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]


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
