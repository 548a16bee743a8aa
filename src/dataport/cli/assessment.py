"""``dataport application``: applications to the regulator, their deadlines, and approvals."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

import typer

from dataport.assessment import service
from dataport.assessment.calendar import today_in_china
from dataport.assessment.models import ApplicationStatus
from dataport.assessment.schemas import ApplicationDetail
from dataport.catalog.service import find_dataset
from dataport.cli.context import (
    OutputFormat,
    Table,
    console,
    lang,
    operator,
    print_json,
    unit_of_work,
)
from dataport.cli.identity import FormatOpt, OrgOpt
from dataport.errors import InvalidInput
from dataport.identity.service import find_organisation

app = typer.Typer(
    help="Applications to the regulator and approvals. 出境申报与批准。", no_args_is_help=True
)

OnOpt = Annotated[
    str | None, typer.Option("--on", help="The day it happened (YYYY-MM-DD); default today.")
]

DUE_LABELS = {
    "completeness": ("completeness check by the provincial CAC", "省级网信部门完备性查验"),
    "acceptance": ("acceptance decision by the CAC", "国家网信部门受理决定"),
    "assessment": ("assessment result by the CAC", "国家网信部门评估结论"),
    "filing_review": ("filing review by the CAC", "网信部门备案审查"),
    "supplement": ("supplements from the exporter", "出境方补充材料"),
}


def _pick(zh: str, en: str) -> str:
    return zh if lang() == "zh-CN" else en


def _day(value: str | None, field: str = "on") -> date:
    if value is None:
        return today_in_china()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(
            f"--{field.replace('_', '-')} {value!r} is not a date (YYYY-MM-DD)",
            f"--{field.replace('_', '-')} {value!r} 不是日期（YYYY-MM-DD）",
            field=field,
        ) from exc


def _id(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise InvalidInput(
            f"{value!r} is not an {what} id", f"{value!r} 不是编号", field=what
        ) from exc


def _due(what: str | None, on: date | None, provisional: bool) -> str:
    if what is None or on is None:
        return "-"
    en, zh = DUE_LABELS[what]
    mark = _pick("（暂定：节假日安排未公布）", " (provisional: holidays not yet published)")
    return f"{on} · {_pick(zh, en)}" + (mark if provisional else "")


def _render(detail: ApplicationDetail) -> None:
    out = console()
    out.print(f"[bold]{detail.id}[/]  {detail.kind} · {detail.status} · {detail.pathway}")
    out.print(
        f"{_pick('接收方国家', 'Recipient country')}: {detail.recipient_country}   "
        f"{_pick('目的', 'Purpose')}: {detail.purpose}   "
        f"{_pick('个人', 'Individuals')}: {detail.individuals:,} "
        f"(+{detail.sensitive_individuals:,} {_pick('敏感', 'sensitive')})"
    )
    out.print(
        f"{_pick('受理日期', 'Received')}: {detail.received_on}   "
        f"{_pick('下一期限', 'Next deadline')}: "
        f"{_due(detail.due_what, detail.due_on, detail.due_provisional)}"
    )
    table = Table(title=_pick("办理记录", "History"))
    for head in (
        _pick("日期", "Day"),
        _pick("操作", "Action"),
        _pick("状态", "Status"),
        _pick("操作者", "Actor"),
        _pick("说明", "Details"),
    ):
        table.add_column(head)
    for event in detail.history:
        details = "; ".join(
            f"{k}: {', '.join(v) if isinstance(v, list) else v}" for k, v in event.details.items()
        )
        table.add_row(
            str(event.on),
            event.action,
            f"{event.from_status or '-'} → {event.to_status}",
            event.actor,
            details,
        )
    out.print(table)
    if detail.approval is not None:
        a = detail.approval
        out.print(
            f"[green]{_pick('批准', 'Approval')}[/] {a.id}: {_pick('上限', 'up to')} "
            f"{a.max_individuals:,} "
            f"(+{a.max_sensitive_individuals:,} {_pick('敏感', 'sensitive')}), "
            f"{_pick('字段', 'fields')}: {', '.join(a.fields) or '-'}; "
            f"{_pick('签发', 'issued')} {a.issued_on}, "
            f"{_pick('到期', 'expires')} {a.expires_on or '-'}"
            + (
                f"; {_pick('可申请延期自', 'extension from')} {a.extension_opens_on}"
                if a.extension_opens_on
                else ""
            )
        )


def _show(detail: ApplicationDetail, fmt: OutputFormat) -> None:
    if fmt is OutputFormat.json:
        print_json(detail)
    else:
        _render(detail)


@app.command("submit")
def submit(
    dataset: Annotated[str, typer.Argument(help="The dataset's name.")],
    org: OrgOpt,
    recipient: Annotated[str, typer.Option(help="The recipient organisation.")],
    purpose: Annotated[
        str,
        typer.Option(
            help="business, contract_with_individual, hr_management, emergency, "
            "trade_no_pi or foreign_origin."
        ),
    ],
    individuals: Annotated[int, typer.Option(help="Individuals whose PI is sent.", min=0)],
    retention: Annotated[
        str, typer.Option(help="How long the recipient keeps it, e.g. '2 years'.")
    ],
    storage: Annotated[str, typer.Option(help="Where abroad it is stored, e.g. 'Frankfurt, DE'.")],
    sensitive: Annotated[
        int, typer.Option(help="Individuals whose sensitive PI is sent.", min=0)
    ] = 0,
    important_data: Annotated[
        bool, typer.Option("--important-data", help="It holds notified important data.")
    ] = False,
    field: Annotated[
        list[str] | None, typer.Option("--field", help="A field sent (repeat).")
    ] = None,
    contract_effective: Annotated[
        str | None, typer.Option(help="For a contract filing: the day the contract took effect.")
    ] = None,
    on: OnOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Submit an application; the pathway is decided by the rules. 提交出境申报。"""
    day = _day(on)
    effective = _day(contract_effective, "contract_effective") if contract_effective else None
    with unit_of_work() as session:
        exporter = find_organisation(session, org)
        application = service.submit(
            session,
            operator(),
            service.Submission(
                dataset=find_dataset(session, operator(), exporter, dataset),
                recipient=find_organisation(session, recipient),
                purpose=purpose,
                individuals=individuals,
                sensitive_individuals=sensitive,
                important_data=important_data,
                fields=tuple(field or ()),
                retention=retention,
                storage_location=storage,
                contract_effective_on=effective,
            ),
            on=day,
        )
        detail = service.describe_application(session, application)
    _show(detail, fmt)


@app.command("list")
def list_(
    org: Annotated[str | None, typer.Option("--org", help="Only this exporter's.")] = None,
    status: Annotated[ApplicationStatus | None, typer.Option(help="Only in this status.")] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Applications with what is due when, the most urgent first. 申报列表及期限。"""
    with unit_of_work() as session:
        org_id = find_organisation(session, org).id if org else None
        found = [
            service.summarise_application(a)
            for a in service.list_applications(session, operator(), org_id=org_id, status=status)
        ]
    if fmt is OutputFormat.json:
        print_json(found)
        return
    table = Table(title=_pick("出境申报", "Applications"))
    for head in (
        "ID",
        _pick("类型", "Kind"),
        _pick("状态", "Status"),
        _pick("受理", "Received"),
        _pick("下一期限", "Next deadline"),
    ):
        table.add_column(head)
    for a in found:
        table.add_row(
            str(a.id),
            a.kind,
            a.status,
            str(a.received_on),
            _due(a.due_what, a.due_on, a.due_provisional),
        )
    console().print(table)


@app.command("show")
def show(
    application_id: Annotated[str, typer.Argument(help="The application's id.")],
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """An application, its history, deadlines and approval. 查看申报。"""
    with unit_of_work() as session:
        application = service.get_application(
            session, operator(), _id(application_id, "application")
        )
        detail = service.describe_application(session, application)
    _show(detail, fmt)


def _step(application_id: str, fmt: OutputFormat, act: object) -> None:
    with unit_of_work() as session:
        application = service.get_application(
            session, operator(), _id(application_id, "application")
        )
        act(session, application)  # type: ignore[operator]
        detail = service.describe_application(session, application)
    _show(detail, fmt)


@app.command("supplement")
def supplement(
    application_id: Annotated[str, typer.Argument()],
    missing: Annotated[list[str], typer.Option("--missing", help="A missing item (repeat).")],
    on: OnOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Regulator: return the materials once, listing what is missing. 要求补充材料。"""
    _step(
        application_id,
        fmt,
        lambda s, a: service.request_supplement(s, operator(), a, missing=missing, on=_day(on)),
    )


@app.command("resubmit")
def resubmit(
    application_id: Annotated[str, typer.Argument()],
    note: Annotated[str, typer.Option(help="What was supplemented.")] = "",
    on: OnOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Exporter: resubmit with the supplements. 补充后重新提交。"""
    _step(
        application_id, fmt, lambda s, a: service.resubmit(s, operator(), a, on=_day(on), note=note)
    )


@app.command("complete")
def complete(
    application_id: Annotated[str, typer.Argument()],
    on: OnOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Regulator: the materials are complete. 材料完备。"""
    _step(application_id, fmt, lambda s, a: service.confirm_complete(s, operator(), a, on=_day(on)))


@app.command("accept")
def accept(
    application_id: Annotated[str, typer.Argument()],
    on: OnOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Regulator: accept for assessment. 受理。"""
    _step(application_id, fmt, lambda s, a: service.accept(s, operator(), a, on=_day(on)))


@app.command("approve")
def approve(
    application_id: Annotated[str, typer.Argument()],
    max_individuals: Annotated[int, typer.Option(help="Most individuals allowed.", min=0)],
    max_sensitive: Annotated[int, typer.Option(help="Most with sensitive PI.", min=0)] = 0,
    field: Annotated[
        list[str] | None, typer.Option("--field", help="A field allowed (repeat).")
    ] = None,
    on: OnOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Regulator: approve, with the scope later transfers are held to. 批准并确定范围。"""
    scope = service.Scope(
        fields=tuple(field or ()),
        max_individuals=max_individuals,
        max_sensitive_individuals=max_sensitive,
    )
    _step(
        application_id,
        fmt,
        lambda s, a: service.approve(s, operator(), a, scope=scope, on=_day(on)),
    )


@app.command("reject")
def reject(
    application_id: Annotated[str, typer.Argument()],
    reason: Annotated[list[str], typer.Option("--reason", help="A reason (repeat).")],
    on: OnOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Regulator: reject, with reasons. 不予通过。"""
    _step(
        application_id,
        fmt,
        lambda s, a: service.reject(s, operator(), a, reasons=reason, on=_day(on)),
    )


@app.command("extend")
def extend(
    approval_id: Annotated[str, typer.Argument(help="The approval to extend.")],
    individuals: Annotated[int, typer.Option(help="Individuals over the next 3 years.", min=0)],
    sensitive: Annotated[int, typer.Option(help="With sensitive PI, next 3 years.", min=0)] = 0,
    on: OnOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Exporter: apply to extend an assessment result by 3 years. 申请延期。"""
    with unit_of_work() as session:
        approval = service.get_approval(session, operator(), _id(approval_id, "approval"))
        application = service.request_extension(
            session,
            operator(),
            approval,
            individuals=individuals,
            sensitive_individuals=sensitive,
            on=_day(on),
        )
        detail = service.describe_application(session, application)
    _show(detail, fmt)
