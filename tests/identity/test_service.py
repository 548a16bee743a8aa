"""Organisations, members and tokens through the service layer, on the real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dataport.audit.models import AuditEvent
from dataport.db import utcnow
from dataport.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from dataport.identity import service, tokens
from dataport.identity.models import ApiToken, OrgKind, Role
from tests.factories import OPERATOR, actor, organisation


def test_create_organisation_validates_and_audits(session: Session) -> None:
    org = organisation(
        session, "Lingang Tech", registered_zone="lingang", uscc="91310115MA1K4ABCDD"
    )
    assert org.country == "CN"
    assert org.uscc == "91310115MA1K4ABCDD"
    event = session.scalars(sa.select(AuditEvent).where(AuditEvent.org_id == org.id)).one()
    assert event.action == "organisation.created"
    assert event.actor == "operator:tests"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"country": "Germany"}, "country"),
        ({"uscc": "91310115MA1K4ABCDE"}, "uscc"),  # wrong check character
        ({"registered_zone": "Lin Gang"}, "registered_zone"),
    ],
)
def test_create_organisation_rejects_bad_fields(
    session: Session, fields: dict[str, str], field: str
) -> None:
    args = {"name": "Acme", "kind": OrgKind.enterprise, **fields}
    with pytest.raises(InvalidInput) as info:
        service.create_organisation(session, OPERATOR, **args)  # type: ignore[arg-type]
    assert info.value.field == field


def test_organisation_names_and_credit_codes_are_unique(session: Session) -> None:
    organisation(session, "Acme", uscc="91310115MA1K4ABCDD")
    with pytest.raises(Conflict):
        organisation(session, "Acme")
    with pytest.raises(Conflict):
        organisation(session, "Acme 2", uscc="91310115MA1K4ABCDD")


def test_only_the_operator_creates_organisations(session: Session) -> None:
    admin = actor(session, organisation(session, "Acme"))
    with pytest.raises(PermissionDenied):
        service.create_organisation(session, admin.principal, name="Evil", kind=OrgKind.regulator)


def test_find_organisation_by_name_or_id(session: Session) -> None:
    org = organisation(session, "Acme")
    assert service.find_organisation(session, "Acme") is org
    assert service.find_organisation(session, str(org.id)) is org
    with pytest.raises(NotFound):
        service.find_organisation(session, "Nobody")


def test_members_have_unique_valid_emails(session: Session) -> None:
    org = organisation(session, "Acme")
    service.add_member(
        session,
        OPERATOR,
        org=org,
        email="Li.Ming@Example.com",
        display_name="李明",
        role=Role.data_officer,
    )
    assert service.find_member(session, "li.ming@example.com").display_name == "李明"
    with pytest.raises(Conflict):
        service.add_member(
            session,
            OPERATOR,
            org=org,
            email="li.ming@example.com",
            display_name="x",
            role=Role.analyst,
        )
    with pytest.raises(InvalidInput):
        service.add_member(
            session, OPERATOR, org=org, email="not-an-email", display_name="x", role=Role.analyst
        )


def test_token_secret_is_stored_only_as_a_hash(session: Session) -> None:
    who = actor(session, organisation(session, "Acme"))
    stored = session.scalars(sa.select(ApiToken)).one()
    assert who.token not in {stored.secret_hash, stored.display_prefix, stored.name}
    assert stored.secret_hash == tokens.secret_hash(who.token)
    assert tokens.is_well_formed(who.token)
    assert who.principal.org_id == who.org.id
    assert who.principal.role is Role.admin


def test_authenticate_rejects_malformed_unknown_revoked_and_expired(session: Session) -> None:
    who = actor(session, organisation(session, "Acme"))
    with pytest.raises(NotAuthenticated, match="malformed"):
        service.authenticate(session, "Bearer nonsense")
    with pytest.raises(NotAuthenticated, match="unknown"):
        service.authenticate(session, tokens.generate())
    later = utcnow() + timedelta(days=2)
    with pytest.raises(NotAuthenticated, match="expired"):
        service.authenticate(session, who.token, now=later)
    token_id = who.principal.token_id
    assert token_id is not None
    service.revoke_token(session, OPERATOR, token_id)
    with pytest.raises(NotAuthenticated, match="revoked"):
        service.authenticate(session, who.token)


def test_admin_cannot_issue_tokens_for_another_organisations_member(session: Session) -> None:
    mine = actor(session, organisation(session, "Acme"))
    theirs = actor(session, organisation(session, "Other"))
    with pytest.raises(NotFound):
        service.create_token(
            session, mine.principal, member=theirs.member, name="steal", expires_in=None
        )


def test_token_lifetime_must_be_positive(session: Session) -> None:
    who = actor(session, organisation(session, "Acme"))
    with pytest.raises(InvalidInput):
        service.create_token(
            session, OPERATOR, member=who.member, name="x", expires_in=timedelta(0)
        )
