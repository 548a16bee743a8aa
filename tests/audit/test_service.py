"""Reading the audit trail: newest first, per organisation, paged, and only what one may see."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from dataport.audit import service
from dataport.errors import PermissionDenied
from dataport.identity.models import OrgKind, Role
from tests.factories import OPERATOR, actor, organisation


def test_newest_first_filtered_and_paged(session: Session) -> None:
    acme = organisation(session, "Acme")
    other = organisation(session, "Other")
    actor(session, acme, Role.analyst)
    events = service.list_events(session, OPERATOR)
    assert [e.action for e in events][:3] == [
        "token.created",
        "member.added",
        "organisation.created",
    ]
    assert events == sorted(events, key=lambda e: e.seq, reverse=True)
    only_other = service.list_events(session, OPERATOR, org_id=other.id)
    assert [e.action for e in only_other] == ["organisation.created"]
    first_page = service.list_events(session, OPERATOR, limit=2)
    second_page = service.list_events(session, OPERATOR, limit=2, before_seq=first_page[-1].seq)
    assert {e.seq for e in first_page}.isdisjoint(e.seq for e in second_page)
    assert len(first_page) + len(second_page) == 4


def test_members_read_their_own_trail_regulators_everyones(session: Session) -> None:
    acme = organisation(session, "Acme")
    organisation(session, "Other")
    auditor = actor(session, acme, Role.auditor)
    own = service.list_events(session, auditor.principal)
    assert own
    assert {e.org_id for e in own} == {acme.id}
    regulator = actor(
        session, organisation(session, "Centre", kind=OrgKind.regulator), Role.auditor
    )
    assert len({e.org_id for e in service.list_events(session, regulator.principal)}) == 3
    with pytest.raises(PermissionDenied):
        service.list_events(session, actor(session, acme, Role.analyst).principal)
