"""The authorisation policy as a table: who reads and changes what."""

from __future__ import annotations

import uuid

import pytest

from dataport.errors import NotFound, PermissionDenied
from dataport.identity.authz import Permission, Principal, authorize
from dataport.identity.models import OrgKind, Role

OWN = uuid.uuid4()
OTHER = uuid.uuid4()


def principal(kind: OrgKind, role: Role) -> Principal:
    return Principal(actor="member:x", org_id=OWN, org_kind=kind, role=role)


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_its_own_datasets(role: Role) -> None:
    authorize(
        principal(OrgKind.enterprise, role),
        Permission.dataset_read,
        OWN,
        read_permission=Permission.dataset_read,
        what="dataset",
    )


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.admin, True),
        (Role.data_officer, True),
        (Role.reviewer, False),
        (Role.auditor, False),
        (Role.analyst, False),
    ],
)
def test_only_admins_and_data_officers_change_datasets(role: Role, allowed: bool) -> None:
    check = lambda: authorize(  # noqa: E731
        principal(OrgKind.enterprise, role),
        Permission.dataset_write,
        OWN,
        read_permission=Permission.dataset_read,
        what="dataset",
    )
    if allowed:
        check()
    else:
        with pytest.raises(PermissionDenied):
            check()


@pytest.mark.parametrize("role", list(Role))
def test_an_enterprise_never_sees_another_organisations_records(role: Role) -> None:
    for permission in Permission:
        with pytest.raises(NotFound):
            authorize(
                principal(OrgKind.enterprise, role),
                permission,
                OTHER,
                read_permission=Permission.dataset_read,
                what="dataset",
            )


@pytest.mark.parametrize("role", [Role.admin, Role.reviewer, Role.auditor])
def test_regulator_oversight_roles_read_across_organisations_but_never_write(role: Role) -> None:
    regulator = principal(OrgKind.regulator, role)
    for permission in (Permission.dataset_read, Permission.org_read, Permission.audit_read):
        authorize(regulator, permission, OTHER, read_permission=permission, what="dataset")
    with pytest.raises(PermissionDenied):
        authorize(
            regulator,
            Permission.dataset_write,
            OTHER,
            read_permission=Permission.dataset_read,
            what="dataset",
        )
    # People and tokens of other organisations are not the regulator's business.
    for permission in (Permission.member_read, Permission.member_manage, Permission.token_manage):
        with pytest.raises(NotFound):
            authorize(regulator, permission, OTHER, read_permission=permission, what="member")


def test_a_regulator_analyst_has_no_cross_organisation_reads() -> None:
    with pytest.raises(NotFound):
        authorize(
            principal(OrgKind.regulator, Role.analyst),
            Permission.dataset_read,
            OTHER,
            read_permission=Permission.dataset_read,
            what="dataset",
        )


@pytest.mark.parametrize("kind", [OrgKind.exchange_operator, OrgKind.service_provider])
def test_other_kinds_of_organisation_get_no_oversight(kind: OrgKind) -> None:
    with pytest.raises(NotFound):
        authorize(
            principal(kind, Role.auditor),
            Permission.dataset_read,
            OTHER,
            read_permission=Permission.dataset_read,
            what="dataset",
        )


def test_visible_orgs() -> None:
    assert principal(OrgKind.enterprise, Role.analyst).visible_org_ids(Permission.dataset_read) == {
        OWN
    }
    assert (
        principal(OrgKind.regulator, Role.reviewer).visible_org_ids(Permission.dataset_read) is None
    )
    with pytest.raises(PermissionDenied):
        principal(OrgKind.enterprise, Role.analyst).visible_org_ids(Permission.audit_read)
