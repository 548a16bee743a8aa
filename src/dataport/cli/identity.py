"""``dataport org``, ``dataport user`` and ``dataport token``."""

from __future__ import annotations

import sys
import uuid
from datetime import timedelta
from typing import Annotated

import typer

from dataport.cli.context import (
    OutputFormat,
    Table,
    console,
    label,
    operator,
    print_json,
    unit_of_work,
)
from dataport.errors import InvalidInput
from dataport.identity import service, signin
from dataport.identity.models import Organisation, OrgKind, Role
from dataport.identity.schemas import MemberOut, OrganisationOut, TokenCreated, TokenOut

org_app = typer.Typer(help="Organisations (tenants). 组织（租户）。", no_args_is_help=True)
user_app = typer.Typer(help="Members of organisations. 组织成员。", no_args_is_help=True)
token_app = typer.Typer(help="API tokens. API 令牌。", no_args_is_help=True)

FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]
OrgOpt = Annotated[
    str, typer.Option("--org", envvar="DATAPORT_ORG", help="Organisation name or id.")
]


def org_table(orgs: list[Organisation]) -> Table:
    table = Table(title=label("organisations"))
    for key in ("name", "kind", "country", "registered_zone", "uscc", "id"):
        table.add_column(label(key))
    for org in orgs:
        table.add_row(
            org.name,
            label(org.kind),
            org.country,
            org.registered_zone or "-",
            org.uscc or "-",
            str(org.id),
        )
    return table


@org_app.command("create")
def org_create(
    name: Annotated[str, typer.Argument(help="Unique name of the organisation.")],
    kind: Annotated[OrgKind, typer.Option(help="What kind of organisation it is.")],
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 country.")] = "CN",
    zone: Annotated[
        str | None,
        typer.Option("--zone", help="Free-trade zone it is registered in, e.g. lingang."),
    ] = None,
    uscc: Annotated[str | None, typer.Option(help="Unified social credit code.")] = None,
    ciio: Annotated[
        bool, typer.Option("--ciio", help="A critical information infrastructure operator.")
    ] = False,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Create an organisation. 创建组织。"""
    with unit_of_work() as session:
        org = service.create_organisation(
            session,
            operator(),
            name=name,
            kind=kind,
            country=country,
            registered_zone=zone,
            uscc=uscc,
            ciio=ciio,
        )
        out = OrganisationOut.model_validate(org)
    if fmt is OutputFormat.json:
        print_json(out)
    else:
        console().print(org_table([org]))


@org_app.command("list")
def org_list(fmt: FormatOpt = OutputFormat.table) -> None:
    """List organisations. 列出组织。"""
    with unit_of_work() as session:
        orgs = list(service.list_organisations(session, operator()))
    if fmt is OutputFormat.json:
        print_json([OrganisationOut.model_validate(o) for o in orgs])
    else:
        console().print(org_table(orgs))


@org_app.command("show")
def org_show(
    name: Annotated[str, typer.Argument(help="Organisation name or id.")],
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Show an organisation and its members. 查看组织及其成员。"""
    with unit_of_work() as session:
        org = service.find_organisation(session, name)
        members = list(service.list_members(session, operator(), org.id))
    if fmt is OutputFormat.json:
        data = OrganisationOut.model_validate(org).model_dump(mode="json")
        data["members"] = [MemberOut.model_validate(m).model_dump(mode="json") for m in members]
        print_json(data)
        return
    console().print(org_table([org]))
    table = Table(title=label("members"))
    for key in ("email", "name", "role", "created"):
        table.add_column(label(key))
    for m in members:
        table.add_row(
            m.email, m.display_name, label(m.role), m.created_at.isoformat(" ", "seconds")
        )
    console().print(table)


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Argument(help="The person's email (their sign-in name).")],
    org: OrgOpt,
    role: Annotated[Role, typer.Option(help="Their role in the organisation.")],
    name: Annotated[str | None, typer.Option(help="Display name (default: the email).")] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Add a member to an organisation. 为组织添加成员。"""
    with unit_of_work() as session:
        organisation = service.find_organisation(session, org)
        member = service.add_member(
            session,
            operator(),
            org=organisation,
            email=email,
            display_name=name or email,
            role=role,
        )
        out = MemberOut.model_validate(member)
    if fmt is OutputFormat.json:
        print_json(out)
    else:
        console().print(f"{out.email} · {label(out.role)} · {organisation.name} · {out.id}")


@user_app.command("password")
def user_password(
    email: Annotated[str, typer.Argument(help="The member's email (their sign-in name).")],
) -> None:
    """Set a member's console password, typed at a prompt or read from stdin. 设置控制台密码。"""
    if sys.stdin.isatty():
        password = typer.prompt(label("new_password"), hide_input=True, confirmation_prompt=True)
    else:
        # One line from a pipe: the password never appears in the process list or history.
        password = sys.stdin.readline().rstrip("\r\n")
    with unit_of_work() as session:
        member = service.find_member(session, email)
        signin.set_password(session, operator(), member, password)
    console().print(label("password_set", email=member.email))


@user_app.command("list")
def user_list(org: OrgOpt, fmt: FormatOpt = OutputFormat.table) -> None:
    """List an organisation's members. 列出组织成员。"""
    org_show(org, fmt)


@token_app.command("create")
def token_create(
    user: Annotated[str, typer.Option("--user", help="Email of the member the token acts for.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
    expires_days: Annotated[
        int, typer.Option(help="Days until it expires; 0 for a token that never expires.")
    ] = 90,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Issue an API token; it is shown once, only its hash is kept. 签发 API 令牌。"""
    if expires_days < 0:
        raise InvalidInput(
            "--expires-days cannot be negative", "--expires-days 不能为负数", field="expires_days"
        )
    with unit_of_work() as session:
        member = service.find_member(session, user)
        token, secret = service.create_token(
            session,
            operator(),
            member=member,
            name=name,
            expires_in=timedelta(days=expires_days) if expires_days else None,
        )
        out = TokenCreated(**TokenOut.model_validate(token).model_dump(), token=secret)
    if fmt is OutputFormat.json:
        print_json(out)
        return
    console().print(secret)
    console().print(f"[yellow]{label('token_once')}[/]", style=None)
    expiry = out.expires_at.isoformat(" ", "seconds") if out.expires_at else label("none")
    console().print(f"{label('id')}: {out.id}  {label('expires')}: {expiry}")


@token_app.command("list")
def token_list(org: OrgOpt, fmt: FormatOpt = OutputFormat.table) -> None:
    """List an organisation's tokens (never their secrets). 列出令牌。"""
    with unit_of_work() as session:
        organisation = service.find_organisation(session, org)
        tokens = [
            TokenOut.model_validate(t)
            for t in service.list_tokens(session, operator(), organisation.id)
        ]
    if fmt is OutputFormat.json:
        print_json(tokens)
        return
    table = Table(title=f"{label('tokens')} · {organisation.name}")
    for key in ("id", "name", "prefix", "created", "expires", "revoked", "last_used"):
        table.add_column(label(key))
    for tok in tokens:
        table.add_row(
            str(tok.id),
            tok.name,
            tok.display_prefix + "…",
            tok.created_at.isoformat(" ", "seconds"),
            tok.expires_at.isoformat(" ", "seconds") if tok.expires_at else "-",
            tok.revoked_at.isoformat(" ", "seconds") if tok.revoked_at else "-",
            tok.last_used_at.isoformat(" ", "seconds") if tok.last_used_at else "-",
        )
    console().print(table)


@token_app.command("revoke")
def token_revoke(token_id: Annotated[str, typer.Argument(help="The token's id.")]) -> None:
    """Revoke a token at once. 立即吊销令牌。"""
    try:
        parsed = uuid.UUID(token_id)
    except ValueError as exc:
        raise InvalidInput(
            f"{token_id!r} is not a token id", f"{token_id!r} 不是令牌编号", field="token_id"
        ) from exc
    with unit_of_work() as session:
        token = service.revoke_token(session, operator(), parsed)
        revoked = token.revoked_at
    assert revoked is not None  # noqa: S101 - revoke_token sets it
    console().print(f"{label('revoked')}: {parsed} ({revoked.isoformat(' ', 'seconds')})")
