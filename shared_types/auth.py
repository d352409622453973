"""Sign-in contract: log in with e-mail and password, get a bearer token."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from shared_types.base import ApiStruct

Role = Literal["admin", "payroll_clerk", "employee"]
Language = Literal["sv", "en"]


class LoginRequest(ApiStruct):
    email: str
    password: str


class UserInfo(ApiStruct):
    """The signed-in user as the UI needs to know them."""

    id: int
    company_id: int
    name: str
    email: str
    role: Role
    # Set for employees, who see their own payslips in Min lön.
    employee_id: int | None
    language: Language


class LoginResponse(ApiStruct):
    """The bearer token to send as `Authorization: Bearer <token>`."""

    token: str
    expires_at: datetime
    user: UserInfo
