"""Who may do what: roles to permissions, and which organisations a principal can see.

The policy is a table, not scattered checks. An organisation sees and changes only its own
records. Members of a regulator with an oversight role read across organisations (PIPL
Art. 60-64, DSL Art. 6 give regulators supervision of data handlers), and nothing more:
they never write another organisation's records, and never see its people or tokens.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

from dataport.errors import NotFound, PermissionDenied
from dataport.identity.models import OrgKind, Role


class Permission(enum.StrEnum):
    org_read = "org.read"
    member_read = "member.read"
    member_manage = "member.manage"
    token_manage = "token.manage"  # noqa: S105 - a permission name, not a secret
    dataset_read = "dataset.read"
    dataset_write = "dataset.write"
    audit_read = "audit.read"
    #: Reviewing cross-border applications: a regulator's reviewers, across organisations.
    application_review = "application.review"
    #: Supervision: flows, alerts and leak tracing across organisations (a regulator's
    #: oversight roles).
    supervision_read = "supervision.read"
    #: Spot-check campaigns: announcing, drawing, requesting evidence, concluding.
    spot_check = "spot_check"


P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.admin: frozenset(P) - {P.application_review, P.supervision_read, P.spot_check},
    Role.data_officer: frozenset(
        {P.org_read, P.member_read, P.dataset_read, P.dataset_write, P.audit_read}
    ),
    Role.reviewer: frozenset({P.org_read, P.member_read, P.dataset_read, P.audit_read}),
    Role.auditor: frozenset({P.org_read, P.member_read, P.dataset_read, P.audit_read}),
    Role.analyst: frozenset({P.org_read, P.dataset_read}),
}

#: Read permissions a regulator's oversight roles hold across all organisations.
OVERSIGHT_ROLES = frozenset({Role.admin, Role.reviewer, Role.auditor})
#: Roles of a regulator that review applications (act on them, not only read them).
REVIEW_ROLES = frozenset({Role.admin, Role.reviewer})
CROSS_ORG_READ = frozenset({P.org_read, P.dataset_read, P.audit_read})


@dataclass(frozen=True)
class Principal:
    """Who is acting: a member through a token, or the local operator through the CLI."""

    actor: str
    org_id: uuid.UUID | None
    org_kind: OrgKind | None
    role: Role | None
    member_id: uuid.UUID | None = None
    token_id: uuid.UUID | None = None
    #: The operator of this installation (the CLI on the server): unrestricted.
    is_operator: bool = False

    @classmethod
    def operator(cls, name: str) -> Principal:
        return cls(
            actor=f"operator:{name}", org_id=None, org_kind=None, role=None, is_operator=True
        )

    def has(self, permission: Permission) -> bool:
        if self.is_operator:
            return True
        if permission in (Permission.application_review, Permission.spot_check):
            return self.org_kind is OrgKind.regulator and self.role in REVIEW_ROLES
        if permission is Permission.supervision_read:
            return self.org_kind is OrgKind.regulator and self.role in OVERSIGHT_ROLES
        return self.role is not None and permission in ROLE_PERMISSIONS[self.role]

    def reads_across_orgs(self, permission: Permission) -> bool:
        return self.is_operator or (
            self.org_kind is OrgKind.regulator
            and self.role in OVERSIGHT_ROLES
            and permission in CROSS_ORG_READ
        )

    def visible_org_ids(self, permission: Permission) -> set[uuid.UUID] | None:
        """Organisations whose records this principal may read; ``None`` means all."""
        require(self, permission)
        if self.reads_across_orgs(permission):
            return None
        return {self.org_id} if self.org_id else set()


def require(principal: Principal, permission: Permission) -> None:
    if not principal.has(permission):
        raise PermissionDenied(
            f"your role ({principal.role}) does not allow {permission}",
            f"您的角色（{principal.role}）无权执行 {permission}",
            permission=str(permission),
        )


_ZH_NAMES = {"dataset": "数据集", "organisation": "组织", "member": "成员", "token": "令牌"}


def authorize(
    principal: Principal,
    permission: Permission,
    org_id: uuid.UUID,
    *,
    read_permission: Permission,
    what: str,
) -> None:
    """Allow ``permission`` on a record owned by ``org_id``, or fail.

    A record the principal may not even read is reported as absent, so the ids of other
    organisations reveal nothing. A record it may read but not change is a permission error.
    """
    if principal.is_operator:
        return
    if principal.org_id != org_id:
        if not principal.reads_across_orgs(read_permission):
            raise NotFound(f"no such {what}", f"不存在该{_ZH_NAMES.get(what, '记录')}")
        if not principal.reads_across_orgs(permission):
            raise PermissionDenied(
                f"this {what} belongs to another organisation: you may read it, not change it",
                f"该{_ZH_NAMES.get(what, '记录')}属于其他组织：您只能查看，不能修改",
            )
    require(principal, permission)
