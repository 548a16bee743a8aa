"""Organisations, members and tokens: creating, finding and authenticating."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError

from dataport.audit.service import record
from dataport.db import utcnow
from dataport.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from dataport.identity import tokens
from dataport.identity.authz import Permission, Principal, authorize
from dataport.identity.models import ApiToken, Member, Organisation, OrgKind, Role

_COUNTRY = re.compile(r"[A-Z]{2}")
_ZONE = re.compile(r"[a-z][a-z0-9_]{1,63}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


# -- organisations ------------------------------------------------------------------------


def create_organisation(
    session: Session,
    principal: Principal,
    *,
    name: str,
    kind: OrgKind,
    country: str = "CN",
    registered_zone: str | None = None,
    uscc: str | None = None,
    ciio: bool = False,
) -> Organisation:
    """Create a tenant. Only the installation's operator creates organisations."""
    if not principal.is_operator:
        raise PermissionDenied(
            "organisations are created by the operator of this installation",
            "组织只能由本系统的运维人员创建",
        )
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput(
            "organisation name must be 1-200 characters", "组织名称须为 1-200 个字符", field="name"
        )
    country = country.strip().upper()
    if not _COUNTRY.fullmatch(country):
        raise InvalidInput(
            f"country must be an ISO 3166-1 alpha-2 code such as CN or DE, not {country!r}",
            f"国家须为 ISO 3166-1 两位字母代码（如 CN、DE），而非 {country!r}",
            field="country",
        )
    if registered_zone is not None and not _ZONE.fullmatch(registered_zone):
        raise InvalidInput(
            f"registered zone must be a lower-case identifier such as lingang, "
            f"not {registered_zone!r}",
            f"注册区域须为小写标识符（如 lingang），而非 {registered_zone!r}",
            field="registered_zone",
        )
    if uscc is not None:
        try:
            uscc = stdnum_uscc.validate(uscc)
        except ValidationError as exc:
            raise InvalidInput(
                f"{uscc!r} is not a valid unified social credit code (GB 32100): {exc}",
                f"{uscc!r} 不是有效的统一社会信用代码（GB 32100）",
                field="uscc",
            ) from exc
    if session.scalar(sa.select(Organisation.id).where(Organisation.name == name)):
        raise Conflict(
            f"an organisation named {name!r} already exists",
            f"名为 {name!r} 的组织已存在",
            field="name",
        )
    if uscc and session.scalar(sa.select(Organisation.id).where(Organisation.uscc == uscc)):
        raise Conflict(
            f"an organisation with credit code {uscc} already exists",
            f"统一社会信用代码 {uscc} 已被其他组织使用",
            field="uscc",
        )
    org = Organisation(
        name=name,
        kind=kind,
        country=country,
        registered_zone=registered_zone,
        uscc=uscc,
        ciio=ciio,
    )
    session.add(org)
    session.flush()
    record(
        session,
        principal,
        "organisation.created",
        target_type="organisation",
        target_id=org.id,
        org_id=org.id,
        name=name,
        kind=str(kind),
    )
    return org


def find_organisation(session: Session, ref: str) -> Organisation:
    """An organisation by name or id, for operators' tools (no authorisation)."""
    query = sa.select(Organisation).where(Organisation.name == ref.strip())
    org = session.scalars(query).first()
    if org is None:
        try:
            org = session.get(Organisation, uuid.UUID(ref))
        except ValueError:
            org = None
    if org is None:
        raise NotFound(f"no organisation named {ref!r}", f"不存在名为 {ref!r} 的组织", field="org")
    return org


def get_organisation(session: Session, principal: Principal, org_id: uuid.UUID) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("no such organisation", "不存在该组织")
    authorize(
        principal,
        Permission.org_read,
        org.id,
        read_permission=Permission.org_read,
        what="organisation",
    )
    return org


def list_organisations(session: Session, principal: Principal) -> Sequence[Organisation]:
    visible = principal.visible_org_ids(Permission.org_read)
    query = sa.select(Organisation).order_by(Organisation.name)
    if visible is not None:
        query = query.where(Organisation.id.in_(visible))
    return session.scalars(query).all()


# -- members ------------------------------------------------------------------------------


def add_member(
    session: Session,
    principal: Principal,
    *,
    org: Organisation,
    email: str,
    display_name: str,
    role: Role,
) -> Member:
    authorize(
        principal,
        Permission.member_manage,
        org.id,
        read_permission=Permission.member_read,
        what="organisation",
    )
    email = email.strip().lower()
    if not _EMAIL.fullmatch(email):
        raise InvalidInput(
            f"{email!r} is not an email address", f"{email!r} 不是有效的电子邮件地址", field="email"
        )
    if session.scalar(sa.select(Member.id).where(Member.email == email)):
        raise Conflict(
            f"a member with email {email} already exists",
            f"电子邮件 {email} 已被其他成员使用",
            field="email",
        )
    member = Member(org_id=org.id, email=email, display_name=display_name.strip(), role=role)
    session.add(member)
    session.flush()
    record(
        session,
        principal,
        "member.added",
        target_type="member",
        target_id=member.id,
        org_id=org.id,
        email=email,
        role=str(role),
    )
    return member


def find_member(session: Session, email: str) -> Member:
    """A member by email, for operators' tools (no authorisation)."""
    member = session.scalars(sa.select(Member).where(Member.email == email.strip().lower())).first()
    if member is None:
        raise NotFound(f"no member with email {email!r}", f"不存在电子邮件为 {email!r} 的成员")
    return member


def list_members(session: Session, principal: Principal, org_id: uuid.UUID) -> Sequence[Member]:
    authorize(
        principal,
        Permission.member_read,
        org_id,
        read_permission=Permission.member_read,
        what="organisation",
    )
    query = sa.select(Member).where(Member.org_id == org_id).order_by(Member.email)
    return session.scalars(query).all()


# -- tokens -------------------------------------------------------------------------------


def create_token(
    session: Session,
    principal: Principal,
    *,
    member: Member,
    name: str,
    expires_in: timedelta | None,
) -> tuple[ApiToken, str]:
    """Issue a token for ``member``. Returns the record and the secret, which is not stored."""
    authorize(
        principal,
        Permission.token_manage,
        member.org_id,
        read_permission=Permission.member_read,
        what="member",
    )
    if member.disabled_at is not None:
        raise InvalidInput(
            f"member {member.email} is disabled", f"成员 {member.email} 已停用", field="member"
        )
    if expires_in is not None and expires_in <= timedelta(0):
        raise InvalidInput(
            "a token's lifetime must be positive", "令牌有效期须为正数", field="expires_in"
        )
    secret = tokens.generate()
    now = utcnow()
    token = ApiToken(
        member_id=member.id,
        org_id=member.org_id,
        name=name.strip() or "token",
        display_prefix=tokens.display_prefix(secret),
        secret_hash=tokens.secret_hash(secret),
        created_at=now,
        expires_at=now + expires_in if expires_in else None,
    )
    session.add(token)
    session.flush()
    record(
        session,
        principal,
        "token.created",
        target_type="token",
        target_id=token.id,
        org_id=member.org_id,
        member=member.email,
        name=token.name,
        expires_at=token.expires_at.isoformat() if token.expires_at else None,
    )
    return token, secret


def list_tokens(session: Session, principal: Principal, org_id: uuid.UUID) -> Sequence[ApiToken]:
    authorize(
        principal,
        Permission.token_manage,
        org_id,
        read_permission=Permission.member_read,
        what="organisation",
    )
    query = sa.select(ApiToken).where(ApiToken.org_id == org_id).order_by(ApiToken.created_at)
    return session.scalars(query).all()


def revoke_token(session: Session, principal: Principal, token_id: uuid.UUID) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("no such token", "不存在该令牌")
    authorize(
        principal,
        Permission.token_manage,
        token.org_id,
        read_permission=Permission.token_manage,
        what="token",
    )
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
        record(
            session,
            principal,
            "token.revoked",
            target_type="token",
            target_id=token.id,
            org_id=token.org_id,
        )
    return token


def authenticate(session: Session, raw: str, *, now: datetime | None = None) -> Principal:
    """The principal a bearer token speaks for; every failure is ``NotAuthenticated``."""
    if not tokens.is_well_formed(raw):
        raise NotAuthenticated(
            "malformed token: expected 'dpt_' followed by 43 URL-safe characters",
            "令牌格式错误：应为 'dpt_' 加 43 个 URL 安全字符",
        )
    token = session.scalars(
        sa.select(ApiToken).where(ApiToken.secret_hash == tokens.secret_hash(raw))
    ).first()
    if token is None:
        raise NotAuthenticated("unknown token", "令牌无效")
    now = now or utcnow()
    if token.revoked_at is not None:
        raise NotAuthenticated("this token was revoked", "该令牌已被吊销")
    if token.expires_at is not None and token.expires_at <= now:
        raise NotAuthenticated(
            f"this token expired at {token.expires_at.isoformat()}",
            f"该令牌已于 {token.expires_at.isoformat()} 过期",
        )
    member = session.get(Member, token.member_id)
    org = session.get(Organisation, token.org_id)
    if member is None or org is None or member.disabled_at is not None:
        raise NotAuthenticated("the member behind this token is disabled", "该令牌所属成员已停用")
    # Record use at most once a minute, so reads do not turn into a write each time.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
        session.flush()
    return Principal(
        actor=f"member:{member.email}",
        org_id=org.id,
        org_kind=org.kind,
        role=member.role,
        member_id=member.id,
        token_id=token.id,
    )
