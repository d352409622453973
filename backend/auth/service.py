"""Sign-in: password hashing, session tokens and the users who own them.

Passwords are hashed with scrypt (`hashlib.scrypt`), a memory-hard function
in the standard library. A session is a random bearer token; the database
keeps only its SHA-256, so a leaked table cannot be replayed as tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.auth.models import (
    ROLE_ADMIN,
    ROLE_EMPLOYEE,
    ROLES,
    STAFF_ROLES,
    AuthSession,
    User,
)
from backend.db.base import utcnow
from backend.errors import AuthenticationError, ConflictError, InvalidInputError

logger = logging.getLogger(__name__)

# scrypt cost: 2**14 iterations with 8-byte blocks needs 16 MiB and about
# 50 ms, OWASP's minimum recommendation for interactive sign-in.
_SCRYPT_N = 2**14
_SCRYPT_R = 8
_SCRYPT_P = 1
_SCRYPT_MAXMEM = 64 * 1024 * 1024
MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True, slots=True, kw_only=True)
class CurrentUser:
    """The signed-in user of a request, as handlers see them."""

    id: int
    company_id: int
    name: str
    email: str
    role: str
    employee_id: int | None
    language: str

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=_SCRYPT_MAXMEM,
        dklen=32,
    )


def hash_password(password: str) -> str:
    """Hash a password as `scrypt$n$r$p$salt$hash`, keeping its cost beside it."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches a hash made by `hash_password`."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        actual = _scrypt(password, _unb64(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, _unb64(digest))


# Compared against when the e-mail is unknown, so that an unknown address
# takes as long to refuse as a wrong password.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def hash_token(token: str) -> str:
    """Return the hex SHA-256 under which a session token is stored."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def _wrong_credentials() -> AuthenticationError:
    return AuthenticationError(
        "Fel e-postadress eller lösenord.",
        "Wrong e-mail address or password.",
    )


def _session_expired() -> AuthenticationError:
    return AuthenticationError(
        "Du behöver logga in. Sessionen saknas eller har gått ut.",
        "You need to sign in. The session is missing or has expired.",
    )


def to_current_user(user: User) -> CurrentUser:
    return CurrentUser(
        id=user.id,
        company_id=user.company_id,
        name=user.name,
        email=user.email,
        role=user.role,
        employee_id=user.employee_id,
        language=user.language,
    )


def create_user(
    session: Session,
    *,
    company_id: int,
    email: str,
    name: str,
    password: str,
    role: str,
    employee_id: int | None = None,
    language: str = "sv",
) -> User:
    """Add a user who can sign in; the e-mail address must be unused."""
    email = email.strip().lower()
    if role not in ROLES:
        raise InvalidInputError(
            "Okänd roll.", "Unknown role.", details=[{"field": "role"}]
        )
    if role == ROLE_EMPLOYEE and employee_id is None:
        raise InvalidInputError(
            "En användare med rollen anställd måste höra till en anställd.",
            "A user with the employee role must belong to an employee.",
            details=[{"field": "employee_id"}],
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(
            f"Lösenordet måste ha minst {MIN_PASSWORD_LENGTH} tecken.",
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters.",
            details=[{"field": "password"}],
        )
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise ConflictError(
            "Det finns redan en användare med den e-postadressen.",
            "A user with that e-mail address already exists.",
        )
    user = User(
        company_id=company_id,
        email=email,
        name=name,
        role=role,
        employee_id=employee_id,
        password_hash=hash_password(password),
        language=language if language in ("sv", "en") else "sv",
    )
    session.add(user)
    session.flush()
    return user


def login(
    session: Session, email: str, password: str, *, session_hours: int
) -> tuple[str, datetime, User]:
    """Check a password and open a session; return its token and expiry.

    Raises:
        AuthenticationError: the same one for an unknown address and a wrong
            password, so that sign-in does not reveal who has an account.
    """
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        verify_password(password, _DUMMY_HASH)
        raise _wrong_credentials()
    if not verify_password(password, user.password_hash):
        logger.info("login_refused", extra={"user_id": user.id})
        raise _wrong_credentials()
    token = secrets.token_urlsafe(32)
    now = utcnow()
    expires_at = now + timedelta(hours=session_hours)
    # Expired sessions of this user are swept at each sign-in.
    session.execute(
        delete(AuthSession).where(
            AuthSession.user_id == user.id, AuthSession.expires_at < now
        )
    )
    session.add(
        AuthSession(
            user_id=user.id,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=expires_at,
        )
    )
    session.flush()
    logger.info("login", extra={"user_id": user.id, "role": user.role})
    return token, expires_at, user


def authenticate(session: Session, token: str) -> CurrentUser:
    """Return the user of a live session token.

    Raises:
        AuthenticationError: the token is unknown or its session has expired.
    """
    row = session.execute(
        select(AuthSession, User)
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.token_hash == hash_token(token))
    ).first()
    if row is None:
        raise _session_expired()
    auth_session, user = row
    if auth_session.expires_at <= utcnow():
        raise _session_expired()
    return to_current_user(user)


def logout(session: Session, token: str) -> None:
    """End the session of `token`; ending an unknown session does nothing."""
    session.execute(
        delete(AuthSession).where(AuthSession.token_hash == hash_token(token))
    )


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise _session_expired()
    return user
