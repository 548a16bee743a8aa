"""Signing in to the console as a person: passwords, sessions, and slowing down guessing.

Passwords are hashed with Argon2id (argon2-cffi's defaults, RFC 9106's second recommended
profile). A session is a 256-bit random secret held in a cookie; only its SHA-256 is stored,
as for API tokens. Failed sign-ins are recorded per email and per client address: five
failures for one email, or thirty from one address, within fifteen minutes lock further
attempts until the window has passed.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import InstrumentedAttribute, Session

from dataport.audit.service import record
from dataport.db import utcnow
from dataport.errors import DataportError, InvalidInput, NotAuthenticated, PermissionDenied
from dataport.identity.authz import Permission, Principal, authorize
from dataport.identity.models import Member, Organisation, SigninFailure, WebSession

PASSWORD_MIN = 12
PASSWORD_MAX = 1024
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_CLIENT = 30
#: Failures older than this are deleted when a new one is recorded.
FAILURE_RETENTION = timedelta(days=1)

_hasher = PasswordHasher()
#: Verified against when the email is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class TooManyAttempts(DataportError):
    code: ClassVar[str] = "too_many_attempts"
    http_status: ClassVar[int] = 429
    exit_code: ClassVar[int] = 5


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def check_password_rules(password: str, email: str) -> None:
    """Refuse a password too short, too long, or equal to the sign-in name."""
    if len(password) < PASSWORD_MIN:
        raise InvalidInput(
            f"a password needs at least {PASSWORD_MIN} characters",
            f"密码至少需要 {PASSWORD_MIN} 个字符",
            field="password",
        )
    if len(password) > PASSWORD_MAX:
        raise InvalidInput(
            f"a password has at most {PASSWORD_MAX} characters",
            f"密码最多 {PASSWORD_MAX} 个字符",
            field="password",
        )
    if password.strip().lower() == email.strip().lower():
        raise InvalidInput(
            "the password must not be the email address",
            "密码不能与电子邮件地址相同",
            field="password",
        )


def set_password(session: Session, principal: Principal, member: Member, password: str) -> None:
    """Set a member's console password: the operator, the organisation's admin, or themself."""
    if principal.member_id != member.id:
        authorize(
            principal,
            Permission.member_manage,
            member.org_id,
            read_permission=Permission.member_read,
            what="member",
        )
    if member.disabled_at is not None:
        raise InvalidInput(
            f"member {member.email} is disabled", f"成员 {member.email} 已停用", field="member"
        )
    check_password_rules(password, member.email)
    member.password_hash = _hasher.hash(password)
    member.password_set_at = utcnow()
    # A new password ends every session opened with the old one.
    session.execute(
        sa.update(WebSession)
        .where(WebSession.member_id == member.id, WebSession.ended_at.is_(None))
        .values(ended_at=member.password_set_at)
    )
    session.flush()
    record(
        session,
        principal,
        "member.password_set",
        target_type="member",
        target_id=member.id,
        org_id=member.org_id,
        email=member.email,
    )


@dataclass(frozen=True)
class SignedIn:
    """A live console session: who it is, for which organisation, and its form token."""

    principal: Principal
    member: Member
    organisation: Organisation
    web_session: WebSession
    #: Copied when the session is resumed, so an error page can still show them after the
    #: request's transaction was rolled back.
    csrf_token: str
    display_name: str
    org_name: str


def _failures_since(
    session: Session, column: InstrumentedAttribute[str], value: str, since: datetime
) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(SigninFailure)
            .where(column == value, SigninFailure.at > since)
        )
        or 0
    )


def _refuse_if_locked(session: Session, email: str, client: str, now: datetime) -> None:
    since = now - FAILURE_WINDOW
    minutes = int(FAILURE_WINDOW.total_seconds() // 60)
    if (
        _failures_since(session, SigninFailure.email, email, since) >= MAX_FAILURES_PER_EMAIL
        or _failures_since(session, SigninFailure.client, client, since) >= MAX_FAILURES_PER_CLIENT
    ):
        raise TooManyAttempts(
            f"too many failed sign-ins: try again in {minutes} minutes",
            f"登录失败次数过多：请 {minutes} 分钟后再试",
            field="email",
        )


def _fail(session: Session, email: str, client: str, now: datetime) -> NotAuthenticated:
    session.execute(sa.delete(SigninFailure).where(SigninFailure.at < now - FAILURE_RETENTION))
    session.add(SigninFailure(email=email, client=client[:64], at=now))
    session.flush()
    return NotAuthenticated("wrong email or password", "电子邮件或密码错误", field="password")


def sign_in(
    session: Session,
    *,
    email: str,
    password: str,
    client: str,
    lifetime: timedelta,
    now: datetime | None = None,
) -> tuple[SignedIn, str]:
    """Open a session for the member with this email and password; returns it and its secret.

    A wrong password and an unknown email fail alike (and take as long). The failure is
    recorded in the caller's transaction, which must commit it even though this raises.
    """
    now = now or utcnow()
    email = email.strip().lower()
    _refuse_if_locked(session, email, client, now)
    member = session.scalars(sa.select(Member).where(Member.email == email)).first()
    stored = member.password_hash if member is not None else None
    try:
        _hasher.verify(stored or _DUMMY_HASH, password)
        matched = stored is not None
    except (VerificationError, InvalidHashError):
        matched = False
    if not matched or member is None or member.disabled_at is not None:
        raise _fail(session, email, client, now)
    assert stored is not None  # noqa: S101 - matched implies a stored hash
    if _hasher.check_needs_rehash(stored):
        member.password_hash = _hasher.hash(password)
    session.execute(sa.delete(SigninFailure).where(SigninFailure.email == email))
    secret = secrets.token_urlsafe(32)
    web_session = WebSession(
        secret_hash=_secret_hash(secret),
        member_id=member.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
    )
    session.add(web_session)
    session.flush()
    organisation = session.get_one(Organisation, member.org_id)
    principal = _principal(member, organisation)
    record(
        session,
        principal,
        "member.signed_in",
        target_type="member",
        target_id=member.id,
        org_id=member.org_id,
    )
    return _signed_in(principal, member, organisation, web_session), secret


def _signed_in(
    principal: Principal, member: Member, organisation: Organisation, web_session: WebSession
) -> SignedIn:
    return SignedIn(
        principal,
        member,
        organisation,
        web_session,
        csrf_token=web_session.csrf_token,
        display_name=member.display_name,
        org_name=organisation.name,
    )


def _principal(member: Member, organisation: Organisation) -> Principal:
    return Principal(
        actor=f"member:{member.email}",
        org_id=organisation.id,
        org_kind=organisation.kind,
        role=member.role,
        member_id=member.id,
    )


def resume(
    session: Session, secret: str, *, idle: timedelta, now: datetime | None = None
) -> SignedIn:
    """The live session a cookie's secret belongs to; every failure is ``NotAuthenticated``."""
    now = now or utcnow()
    found = session.scalars(
        sa.select(WebSession).where(WebSession.secret_hash == _secret_hash(secret))
    ).first()
    if found is None or found.ended_at is not None:
        raise NotAuthenticated("please sign in", "请登录")
    if found.expires_at <= now or found.last_seen_at + idle <= now:
        found.ended_at = now
        session.flush()
        raise NotAuthenticated(
            "your session has ended: please sign in again", "会话已结束：请重新登录"
        )
    member = session.get_one(Member, found.member_id)
    if member.disabled_at is not None:
        raise NotAuthenticated("this member is disabled", "该成员已停用")
    # Record activity at most once a minute, so reading pages does not write each time.
    if now - found.last_seen_at > timedelta(minutes=1):
        found.last_seen_at = now
        session.flush()
    organisation = session.get_one(Organisation, member.org_id)
    return _signed_in(_principal(member, organisation), member, organisation, found)


def sign_out(session: Session, signed_in: SignedIn, now: datetime | None = None) -> None:
    if signed_in.web_session.ended_at is None:
        signed_in.web_session.ended_at = now or utcnow()
        session.flush()


def require_csrf(signed_in: SignedIn, token: str | None) -> None:
    """A form's token must be its session's; a request from another site never carries it."""
    if not token or not secrets.compare_digest(token, signed_in.csrf_token):
        raise PermissionDenied(
            "this form has expired or did not come from this site: reload the page and try again",
            "表单已失效或并非来自本站：请刷新页面后重试",
            field="csrf",
        )
