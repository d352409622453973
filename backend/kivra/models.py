"""The shapes Kivra's sender API reads and writes, as msgspec Structs.

Request Structs mirror the spec's schemas field for field (`Content_user_v2`,
`Content_company`, `PaymentMultipleOptions`, `Invoice`, `Tenant_v2`); unset
optional fields are left out of the JSON rather than sent as null, because
Kivra's schemas do not allow null. Answer Structs ignore fields they do not
know, so Kivra can add read-only fields without breaking us.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType


class KivraStruct(msgspec.Struct, omit_defaults=True, kw_only=True):
    """Base of every request body: optional fields stay off the wire.

    `omit_defaults` drops any field equal to its default, so fields the spec
    requires have no default here; only optional fields default to UNSET.
    """


# --- Tenants ---------------------------------------------------------------


class CompanyId(KivraStruct):
    name: str
    # Holds the VAT form `SE<orgnr>01`, whatever the field name says.
    orgnr: str


class TenantCreate(KivraStruct):
    name: str
    company_id: list[CompanyId]


class Tenant(msgspec.Struct, kw_only=True):
    """A tenant as Kivra describes it (`Tenant_v2` plus read-only fields)."""

    name: str
    company_id: list[CompanyId] = msgspec.field(default_factory=list)
    status: str | None = None
    created_at: str | None = None
    edit_security_level: int | None = None
    groups: list[str] = msgspec.field(default_factory=list)


class TenantCreated(msgspec.Struct, frozen=True, kw_only=True):
    """The result of creating a tenant (or finding it is already ours)."""

    tenant_key: str
    # True for 201 (new tenant), False for 200 (existed, now in our scope).
    created: bool
    tenant: Tenant
    correlation_id: str | None = None


class TenantKeyItem(msgspec.Struct):
    key: str


class RequestAccess(msgspec.Struct, kw_only=True):
    """An access request to a tenant owned by another client.

    `status` is `pending`, `accepted` or `rejected` in Kivra's examples; the
    spec has no formal enum, so other values are kept as they come.
    """

    request_key: str = ""
    status: str = "pending"
    tenant_key: str | None = None
    tenant_name: str | None = None
    client_id: str | None = None
    client_name: str | None = None
    created_at: str | None = None
    created_by: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"

    @property
    def rejected(self) -> bool:
        return self.status == "rejected"


class SsnList(msgspec.Struct):
    """`UserMatchV2SSN`: a list of 12-digit SSNs, asked and answered."""

    items: list[str] = msgspec.field(name="list")


# --- Content ---------------------------------------------------------------

RetentionTime = Literal["30", "390"]


class ResponsivePart(KivraStruct):
    name: str
    data: str
    content_type: Literal["text/html"]


class FilePart(KivraStruct):
    """One uploaded file (`Parts_Responsive`): base64 data and its type."""

    name: str
    data: str
    content_type: str
    responsive_part: ResponsivePart | UnsetType = UNSET


class PaymentOption(KivraStruct):
    due_date: str
    amount: str
    type: Literal["SE_OCR", "TENANT_REF"]
    reference: str
    title: str | UnsetType = UNSET
    description: str | UnsetType = UNSET


class FlexibleOption(KivraStruct):
    due_date: str
    type: Literal["SE_OCR", "TENANT_REF"]
    reference: str
    title: str | UnsetType = UNSET
    description: str | UnsetType = UNSET
    min_limit: str | UnsetType = UNSET
    min_suggested: str | UnsetType = UNSET
    max_suggested: str | UnsetType = UNSET
    max_limit: str | UnsetType = UNSET


class PaymentMultipleOptions(KivraStruct):
    """How a person pays an invoice; the first option drives notifications."""

    account: str
    method: Literal["1", "2"]
    options: list[PaymentOption]
    payable: bool
    currency: str
    swish_alias: str | UnsetType = UNSET
    flexible_option: FlexibleOption | UnsetType = UNSET


class PaymentReference(KivraStruct):
    value: str
    reference_type: Literal["ocr", "unstructured"]


class CompanyInvoice(KivraStruct):
    """The structured invoice (`Invoice`, BETA) for a company recipient."""

    total_amount_due: str
    currency: str
    due_date: str | UnsetType = UNSET
    bankgiro: str | UnsetType = UNSET
    plusgiro: str | UnsetType = UNSET
    invoice_number: str | UnsetType = UNSET
    original_invoice_number: str | UnsetType = UNSET
    invoice_date: str | UnsetType = UNSET
    buyer_reference: str | UnsetType = UNSET
    order_number: str | UnsetType = UNSET
    supplier_name: str | UnsetType = UNSET
    supplier_organisation_number: str | UnsetType = UNSET
    supplier_vat_number: str | UnsetType = UNSET
    supplier_address_street: str | UnsetType = UNSET
    supplier_address_postal_code: str | UnsetType = UNSET
    supplier_address_city: str | UnsetType = UNSET
    payment_reference: PaymentReference | UnsetType = UNSET
    iban: str | UnsetType = UNSET
    bic: str | UnsetType = UNSET
    total_amount_tax_exclusive: str | UnsetType = UNSET
    total_amount_tax_inclusive: str | UnsetType = UNSET
    total_vat_amount: str | UnsetType = UNSET
    rounding_amount: str | UnsetType = UNSET


class UserContent(KivraStruct):
    """A content for a person (`Content_user_v2`): give `ssn` or `email`."""

    subject: str
    type: str
    ssn: str | UnsetType = UNSET
    email: str | UnsetType = UNSET
    generated_at: str | UnsetType = UNSET
    retain: bool | UnsetType = UNSET
    retention_time: RetentionTime | UnsetType = UNSET
    parts: list[FilePart] | UnsetType = UNSET
    payment_multiple_options: PaymentMultipleOptions | UnsetType = UNSET
    # The structured salary slip, valid against schema-salary-slip.json.
    salaryslip: dict[str, Any] | UnsetType = UNSET


class CompanyContent(KivraStruct):
    """A content for a company (`Content_company`), addressed by VAT number."""

    vat_number: str
    subject: str
    type: str
    generated_at: str | UnsetType = UNSET
    parts: list[FilePart] | UnsetType = UNSET
    payment_multiple_options: PaymentMultipleOptions | UnsetType = UNSET
    invoice: CompanyInvoice | UnsetType = UNSET


Content = UserContent | CompanyContent


class ContentRecipient(msgspec.Struct):
    """Only the recipient keys of a stored body, read to apply send limits."""

    ssn: str | None = None
    email: str | None = None
    vat_number: str | None = None


class ContentResult(msgspec.Struct, frozen=True, kw_only=True):
    """What Kivra answered to a content: its key and whether it was retained."""

    content_key: str
    retained: bool
    correlation_id: str | None
    status: int
    location: str | None = None
