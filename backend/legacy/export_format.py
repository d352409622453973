"""The VLA export file: the old web product's Kivra agreement and history.

One JSON object per company (documented in docs/activation.md)::

    {
      "format": "vla-kivra-export",
      "version": 1,
      "exported_at": "2026-11-30T12:00:00Z",
      "company": {"orgnr": "5560000001", "name": "Flyttbolaget AB"},
      "agreement": {
        "state": "active",                 # "active" or "ended"
        "terms_version": "VLA-3",
        "scopes": ["payslips"],            # "payslips", "invoices"
        "approved_at": "2024-02-01T09:00:00Z",
        "approved_by": "Anna Admin",
        "tenant_key": "1424780396902ee9278b16417f8e3252c3ced28c38"  # or null
      },
      "deliveries": [
        {"period": "2026-10", "personnummer": "191212121212",
         "name": "Tolvan Tolvansson", "channel": "kivra",
         "outcome": "delivered", "delivered_at": "2026-10-25T06:00:00Z",
         "reason": ""}
      ]
    }

`agreement` is null when the company only used Min lön in the old product.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

Orgnr = Annotated[str, msgspec.Meta(pattern=r"^\d{10}$")]
Period = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


class _Strict(msgspec.Struct, forbid_unknown_fields=True):
    """Unknown fields are refused so that a wrong file is not half imported."""


class VlaCompany(_Strict):
    orgnr: Orgnr
    name: str


class VlaAgreement(_Strict):
    state: Literal["active", "ended"]
    terms_version: str
    scopes: list[Literal["payslips", "invoices"]]
    approved_at: datetime
    approved_by: str = ""
    tenant_key: str | None = None


class VlaDeliveryRecord(_Strict):
    period: Period
    personnummer: str
    channel: Literal["kivra", "min_lon"]
    outcome: Literal["delivered", "retained", "failed"]
    delivered_at: datetime
    name: str = ""
    reason: str = ""


class VlaExport(_Strict):
    format: Literal["vla-kivra-export"]
    version: Literal[1]
    exported_at: datetime
    company: VlaCompany
    agreement: VlaAgreement | None = None
    deliveries: list[VlaDeliveryRecord] = msgspec.field(default_factory=list)


_DECODER = msgspec.json.Decoder(VlaExport)


def decode_export(data: bytes) -> VlaExport:
    """Decode and validate an export file.

    Raises:
        msgspec.ValidationError, msgspec.DecodeError: when it is not one.
    """
    return _DECODER.decode(data)
