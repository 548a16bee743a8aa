"""Tables of the identity domain."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dataport.db import Base, new_id, utcnow


class OrgKind(enum.StrEnum):
    enterprise = "enterprise"
    regulator = "regulator"
    exchange_operator = "exchange_operator"
    service_provider = "service_provider"


class Role(enum.StrEnum):
    admin = "admin"
    data_officer = "data_officer"
    reviewer = "reviewer"
    auditor = "auditor"
    analyst = "analyst"


def enum_column(kind: type[enum.StrEnum], name: str) -> sa.Enum:
    """A portable enum: VARCHAR plus a CHECK constraint, the same on SQLite and PostgreSQL."""
    return sa.Enum(
        kind,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda k: [m.value for m in k],
    )


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[OrgKind] = mapped_column(enum_column(OrgKind, "org_kind"))
    #: ISO 3166-1 alpha-2 country of establishment.
    country: Mapped[str] = mapped_column(sa.String(2))
    #: Free-trade zone the organisation is registered in (e.g. ``lingang``), if any.
    registered_zone: Mapped[str | None] = mapped_column(sa.String(64))
    #: Unified social credit code (GB 32100) for organisations established in China.
    uscc: Mapped[str | None] = mapped_column(sa.String(18), unique=True)
    #: A critical information infrastructure operator (关键信息基础设施运营者), as notified by
    #: the protection department; the cross-border rules turn on it.
    ciio: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[Member]] = relationship(back_populates="organisation", lazy="raise")


class Member(Base):
    """A person acting for one organisation, with one role."""

    __tablename__ = "member"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role, "member_role"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None]
    #: Argon2id hash of the console password (``dataport user password``); None: no sign-in.
    password_hash: Mapped[str | None] = mapped_column(sa.String(200))
    password_set_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(back_populates="members", lazy="raise")


class ApiToken(Base):
    """A bearer token. Only the SHA-256 of the secret is stored; the secret is shown once."""

    __tablename__ = "api_token"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    member_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("member.id"), index=True)
    org_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    #: The first characters of the token, so a person can tell tokens apart.
    display_prefix: Mapped[str] = mapped_column(sa.String(16))
    secret_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    member: Mapped[Member] = relationship(lazy="raise")


class WebSession(Base):
    """A person signed in to the console. Only the SHA-256 of the cookie's secret is stored."""

    __tablename__ = "web_session"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    secret_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    member_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("member.id"), index=True)
    #: The token every form of this session carries (CSRF protection, synchroniser pattern).
    csrf_token: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Absolute end of the session, whatever the activity.
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class SigninFailure(Base):
    """A failed console sign-in, kept for a while to slow down password guessing."""

    __tablename__ = "signin_failure"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    #: The email as typed (normalised), whether or not such a member exists.
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    client: Mapped[str] = mapped_column(sa.String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
