"""Routes for the caller, organisations, members and tokens."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import APIRouter, status

from dataport.api.deps import PrincipalDep, SessionDep
from dataport.errors import NotFound
from dataport.identity import service
from dataport.identity.authz import ROLE_PERMISSIONS
from dataport.identity.models import Member
from dataport.identity.schemas import (
    MemberIn,
    MemberOut,
    OrganisationOut,
    TokenCreated,
    TokenIn,
    TokenOut,
    WhoAmI,
)

router = APIRouter(prefix="/v1", tags=["identity"])


@router.get("/me", summary="Who the token speaks for")
def whoami(session: SessionDep, principal: PrincipalDep) -> WhoAmI:
    # A token always speaks for a member of an organisation.
    assert principal.org_id is not None  # noqa: S101
    assert principal.role is not None  # noqa: S101
    org = service.get_organisation(session, principal, principal.org_id)
    return WhoAmI(
        actor=principal.actor,
        organisation=OrganisationOut.model_validate(org),
        role=principal.role,
        permissions=sorted(ROLE_PERMISSIONS[principal.role]),
    )


@router.get("/organisations", summary="Organisations the caller may see")
def list_organisations(session: SessionDep, principal: PrincipalDep) -> list[OrganisationOut]:
    orgs = service.list_organisations(session, principal)
    return [OrganisationOut.model_validate(o) for o in orgs]


@router.get("/organisations/{org_id}", summary="One organisation")
def get_organisation(
    org_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> OrganisationOut:
    return OrganisationOut.model_validate(service.get_organisation(session, principal, org_id))


@router.get("/organisations/{org_id}/members", summary="Members of an organisation")
def list_members(
    org_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> list[MemberOut]:
    return [MemberOut.model_validate(m) for m in service.list_members(session, principal, org_id)]


@router.post(
    "/organisations/{org_id}/members",
    status_code=status.HTTP_201_CREATED,
    summary="Add a member (organisation admins)",
)
def add_member(
    org_id: uuid.UUID, body: MemberIn, session: SessionDep, principal: PrincipalDep
) -> MemberOut:
    org = service.get_organisation(session, principal, org_id)
    member = service.add_member(
        session,
        principal,
        org=org,
        email=body.email,
        display_name=body.display_name,
        role=body.role,
    )
    return MemberOut.model_validate(member)


@router.get("/organisations/{org_id}/tokens", summary="Tokens of an organisation (admins)")
def list_tokens(org_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> list[TokenOut]:
    return [TokenOut.model_validate(t) for t in service.list_tokens(session, principal, org_id)]


@router.post(
    "/members/{member_id}/tokens",
    status_code=status.HTTP_201_CREATED,
    summary="Issue a token for a member (admins); the secret is in this response only",
)
def create_token(
    member_id: uuid.UUID, body: TokenIn, session: SessionDep, principal: PrincipalDep
) -> TokenCreated:
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound("no such member", "不存在该成员")
    token, secret = service.create_token(
        session,
        principal,
        member=member,
        name=body.name,
        expires_in=timedelta(days=body.expires_in_days) if body.expires_in_days else None,
    )
    return TokenCreated(**TokenOut.model_validate(token).model_dump(), token=secret)


@router.delete("/tokens/{token_id}", summary="Revoke a token (admins)")
def revoke_token(token_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> TokenOut:
    return TokenOut.model_validate(service.revoke_token(session, principal, token_id))
