"""The audit table. Database triggers (see the migration) refuse UPDATE and DELETE on it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from dataport.db import Base, JSONDoc, utcnow

#: An auto-incrementing 64-bit key; SQLite only auto-increments INTEGER PRIMARY KEY.
BigSerial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class AuditEvent(Base):
    __tablename__ = "audit_event"

    seq: Mapped[int] = mapped_column(BigSerial, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: The organisation whose record was touched (None for installation-wide events).
    org_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    #: ``member:<email>`` or ``operator:<name>``.
    actor: Mapped[str] = mapped_column(sa.String(300))
    member_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("member.id"))
    action: Mapped[str] = mapped_column(sa.String(64))
    target_type: Mapped[str] = mapped_column(sa.String(64))
    target_id: Mapped[str] = mapped_column(sa.String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
