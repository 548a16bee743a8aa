"""Builders for the records most tests need, through the real services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from dataport.identity import service
from dataport.identity.authz import Principal
from dataport.identity.models import Member, Organisation, OrgKind, Role

OPERATOR = Principal.operator("tests")


@dataclass
class Actor:
    org: Organisation
    member: Member
    token: str
    principal: Principal

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def organisation(
    session: Session, name: str, kind: OrgKind = OrgKind.enterprise, **fields: Any
) -> Organisation:
    return service.create_organisation(session, OPERATOR, name=name, kind=kind, **fields)


def actor(
    session: Session,
    org: Organisation,
    role: Role = Role.admin,
    email: str | None = None,
) -> Actor:
    email = email or f"{role}.{org.name.lower().replace(' ', '-')}@example.com"
    member = service.add_member(
        session, OPERATOR, org=org, email=email, display_name=email, role=role
    )
    _, secret = service.create_token(
        session, OPERATOR, member=member, name="test", expires_in=timedelta(days=1)
    )
    principal = service.authenticate(session, secret)
    return Actor(org, member, secret, principal)
