"""The life of an application: submit, check completeness, accept, approve or reject; extend.

Deadlines are PRC working days (see ``calendar``), from the 2022 Security Assessment Measures
and the standard-contract filing rules as encoded below. Every step is an ``ApplicationEvent``
and an audit event, in the caller's transaction.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dataport.assessment import calendar
from dataport.assessment.models import (
    Application,
    ApplicationEvent,
    ApplicationKind,
    ApplicationStatus,
    Approval,
)
from dataport.assessment.schemas import (
    ApplicationDetail,
    ApplicationOut,
    ApprovalOut,
    EventOut,
)
from dataport.audit.service import record
from dataport.catalog.models import Dataset, DatasetVersion
from dataport.catalog.service import latest_version
from dataport.classify.service import scan_facts
from dataport.db import utcnow
from dataport.errors import Conflict, InvalidInput, NotFound
from dataport.identity.authz import Permission, Principal, authorize, require
from dataport.identity.models import Organisation
from dataport.ledger.canonical import canonical_json
from dataport.rules.engine import decide
from dataport.rules.pack import PackRegistry, Pathway
from dataport.rules.scenario import parse_scenario
from dataport.rules.schemas import Decision
from dataport.transfer.history import history_of

S = ApplicationStatus

#: Working days each party has, by the step an application waits for.
#: completeness: provincial CAC checks the materials (Measures Art. 7);
#: acceptance: national CAC decides to accept (Art. 7); assessment: Art. 12;
#: filing_review: the CAC reviews a standard-contract filing (Filing Guide, 1st ed.);
#: supplement: the exporter resubmits a filing that needs more (Filing Guide).
DEADLINES = {
    "completeness": 5,
    "acceptance": 7,
    "assessment": 45,
    "filing_review": 15,
    "supplement": 10,
}
#: A standard contract is filed within 10 working days after it takes effect (SCC Art. 7).
FILING_WINDOW = 10
#: Assessment results hold 3 years; extension is asked in the 60 working days before expiry,
#: and only if the volume grows by at most 20% (Provisions Art. 9; Declaration Guide 3rd ed.).
VALIDITY_YEARS = 3
EXTENSION_WINDOW = 60
EXTENSION_MAX_GROWTH = 0.20

#: Which regulator action moves which status where.
TRANSITIONS: dict[str, tuple[frozenset[ApplicationStatus], ApplicationStatus]] = {
    "request_supplement": (
        frozenset({S.submitted, S.complete, S.accepted}),
        S.supplement_requested,
    ),
    "resubmit": (frozenset({S.supplement_requested}), S.submitted),
    "confirm_complete": (frozenset({S.submitted}), S.complete),
    "accept": (frozenset({S.complete}), S.accepted),
    "approve": (frozenset({S.accepted}), S.approved),
    "reject": (frozenset({S.submitted, S.complete, S.accepted}), S.rejected),
}


@dataclass(frozen=True)
class Submission:
    """What an exporter states when applying."""

    dataset: Dataset
    recipient: Organisation
    purpose: str
    individuals: int
    sensitive_individuals: int = 0
    important_data: bool = False
    fields: tuple[str, ...] = ()
    retention: str = ""
    storage_location: str = ""
    contract_effective_on: date | None = None


@dataclass(frozen=True)
class Scope:
    """What a regulator approves."""

    fields: tuple[str, ...]
    max_individuals: int
    max_sensitive_individuals: int = 0
    purpose: str | None = None


def _require_reviewer(principal: Principal) -> None:
    require(principal, Permission.application_review)


def _kind_for(pathway: Pathway) -> ApplicationKind:
    if pathway is Pathway.security_assessment:
        return ApplicationKind.security_assessment
    if pathway is Pathway.standard_contract_or_certification:
        return ApplicationKind.contract_filing
    if pathway is Pathway.prohibited:
        raise InvalidInput(
            "this data may not leave the country (core data): there is nothing to apply for",
            "该数据禁止出境（核心数据），无需也不能申报",
            field="pathway",
        )
    raise InvalidInput(
        "this transfer is exempt from the security assessment, the standard contract and "
        "certification: no application is needed (the obligations of the decision still apply)",
        "该出境活动免予申报安全评估、订立标准合同或认证，无需申报（评估结论中的义务仍须履行）",
        field="pathway",
    )


def assess_submission(
    session: Session,
    exporter: Organisation,
    submission: Submission,
    on: date,
    registry: PackRegistry | None = None,
) -> dict[str, object]:
    """The rules engine's decision for a submission, as a JSON-ready dict."""
    scenario = parse_scenario(
        {
            "as_of": on.isoformat(),
            "exporter": {
                "ciio": exporter.ciio,
                "registered_zone": exporter.registered_zone,
                "sector": submission.dataset.sector,
            },
            "transfer": {
                "purpose": submission.purpose,
                "recipient_country": submission.recipient.country,
                "contains_pi": bool(submission.individuals or submission.sensitive_individuals),
                "individuals": submission.individuals,
                "sensitive_individuals": submission.sensitive_individuals,
                "important_data": submission.important_data,
                "fields": list(submission.fields),
            },
            # Earlier transfers abroad by this exporter, as recorded when they were made.
            "history": [
                h.model_dump(mode="json") for h in history_of(session, exporter.id, until=on)
            ],
        },
        source="application",
    )
    return decide(scenario, registry).model_dump(mode="json")


def submit(
    session: Session,
    principal: Principal,
    submission: Submission,
    *,
    on: date,
    registry: PackRegistry | None = None,
) -> Application:
    dataset = submission.dataset
    authorize(
        principal,
        Permission.dataset_write,
        dataset.org_id,
        read_permission=Permission.dataset_read,
        what="dataset",
    )
    _check_submission(submission)
    exporter = session.get_one(Organisation, dataset.org_id)
    version = latest_version(session, dataset.id)
    if version is None:  # pragma: no cover - registration always records version 1
        raise InvalidInput("the dataset has no version", "数据集没有版本", field="dataset")
    decision = assess_submission(session, exporter, submission, on, registry)
    kind = _kind_for(Pathway(str(decision["pathway"])))
    application = Application(
        org_id=dataset.org_id,
        kind=kind,
        status=S.submitted,
        dataset_id=dataset.id,
        dataset_version_id=version.id,
        recipient_org_id=submission.recipient.id,
        recipient_country=submission.recipient.country,
        purpose=submission.purpose,
        fields=list(submission.fields),
        individuals=submission.individuals,
        sensitive_individuals=submission.sensitive_individuals,
        important_data=submission.important_data,
        retention=submission.retention.strip(),
        storage_location=submission.storage_location.strip(),
        decision=decision,
        contract_effective_on=submission.contract_effective_on,
        received_on=on,
        created_by=principal.actor,
    )
    _set_due(application, on)
    session.add(application)
    session.flush()
    details: dict[str, object] = {
        "kind": str(kind),
        "pathway": decision["pathway"],
        "decision_sha256": hashlib.sha256(canonical_json(decision)).hexdigest(),
    }
    if kind is ApplicationKind.contract_filing and submission.contract_effective_on:
        filing_due = calendar.add_working_days(submission.contract_effective_on, FILING_WINDOW)
        details["filing_due"] = filing_due.due.isoformat()
        details["filed_late"] = on > filing_due.due
    _event(session, principal, application, "submit", None, on, details)
    return application


def _check_submission(submission: Submission) -> None:
    if submission.individuals < 0 or submission.sensitive_individuals < 0:
        raise InvalidInput(
            "the number of individuals cannot be negative",
            "个人数量不能为负数",
            field="individuals",
        )
    if not submission.retention.strip():
        raise InvalidInput(
            "state how long the recipient keeps the data (retention)",
            "请说明境外接收方的保存期限",
            field="retention",
        )
    if not submission.storage_location.strip():
        raise InvalidInput(
            "state where abroad the data will be stored (storage location)",
            "请说明境外存储地点",
            field="storage_location",
        )
    if submission.recipient.id == submission.dataset.org_id:
        raise InvalidInput(
            "the recipient must be another organisation than the exporter",
            "境外接收方不能是出境方本身",
            field="recipient",
        )


def _set_due(application: Application, on: date) -> None:
    """Work out the next deadline from the application's status."""
    what: str | None
    if application.status is S.submitted:
        what = (
            "completeness"
            if application.kind is not ApplicationKind.contract_filing
            else "filing_review"
        )
    elif application.status is S.complete:
        what = "acceptance"
    elif application.status is S.accepted:
        what = "assessment" if application.kind is not ApplicationKind.contract_filing else None
        if what is None:
            # A filing's review period runs from its receipt (Filing Guide).
            on = application.received_on
            what = "filing_review"
    elif application.status is S.supplement_requested:
        what = "supplement" if application.kind is ApplicationKind.contract_filing else None
    else:
        what = None
    if what is None:
        application.due_on, application.due_what, application.due_provisional = None, None, False
        return
    deadline = calendar.add_working_days(on, DEADLINES[what])
    application.due_on = deadline.due
    application.due_what = what
    application.due_provisional = deadline.provisional


def _event(
    session: Session,
    principal: Principal,
    application: Application,
    action: str,
    from_status: ApplicationStatus | None,
    on: date,
    details: dict[str, object],
) -> None:
    session.add(
        ApplicationEvent(
            application_id=application.id,
            on=on,
            actor=principal.actor,
            action=action,
            from_status=str(from_status) if from_status else None,
            to_status=str(application.status),
            details=details,
        )
    )
    session.flush()
    record(
        session,
        principal,
        f"application.{action}",
        target_type="application",
        target_id=application.id,
        org_id=application.org_id,
        status=str(application.status),
        due_on=application.due_on.isoformat() if application.due_on else None,
        **details,
    )


def _move(
    session: Session,
    principal: Principal,
    application: Application,
    action: str,
    on: date,
    details: dict[str, object],
    target: ApplicationStatus | None = None,
) -> None:
    allowed, default_target = TRANSITIONS[action]
    target = target or default_target
    if application.status not in allowed:
        raise Conflict(
            f"cannot {action.replace('_', ' ')} an application that is {application.status}",
            f"状态为 {application.status} 的申请不能执行 {action}",
            field="status",
        )
    if on < application.received_on:
        raise InvalidInput(
            f"{on} is before the application was received ({application.received_on})",
            f"{on} 早于申请受理日期 {application.received_on}",
            field="on",
        )
    previous = application.status
    application.status = target
    application.updated_at = utcnow()
    _set_due(application, on)
    _event(session, principal, application, action, previous, on, details)


def request_supplement(
    session: Session,
    principal: Principal,
    application: Application,
    *,
    missing: Sequence[str],
    on: date,
) -> Application:
    """Return the materials once, with the single list of what is missing (Measures Art. 7)."""
    _require_reviewer(principal)
    items = [m.strip() for m in missing if m.strip()]
    if not items:
        raise InvalidInput(
            "list what is missing (at least one item)",
            "请列出缺少的材料（至少一项）",
            field="missing",
        )
    _move(session, principal, application, "request_supplement", on, {"missing": items})
    return application


def resubmit(
    session: Session, principal: Principal, application: Application, *, on: date, note: str = ""
) -> Application:
    authorize(
        principal,
        Permission.dataset_write,
        application.org_id,
        read_permission=Permission.dataset_read,
        what="application",
    )
    application.received_on = on
    _move(session, principal, application, "resubmit", on, {"note": note.strip()})
    return application


def confirm_complete(
    session: Session, principal: Principal, application: Application, *, on: date
) -> Application:
    _require_reviewer(principal)
    # A filing has no separate acceptance step: once complete, it is under review.
    target = S.accepted if application.kind is ApplicationKind.contract_filing else None
    _move(session, principal, application, "confirm_complete", on, {}, target)
    return application


def accept(
    session: Session, principal: Principal, application: Application, *, on: date
) -> Application:
    _require_reviewer(principal)
    _move(session, principal, application, "accept", on, {})
    return application


def approve(
    session: Session, principal: Principal, application: Application, *, scope: Scope, on: date
) -> Approval:
    """Approve with a scope no wider than what was applied for."""
    _require_reviewer(principal)
    wider = sorted(set(scope.fields) - set(application.fields)) if application.fields else []
    if wider:
        raise InvalidInput(
            f"the scope names fields not applied for: {', '.join(wider)}",
            f"批准范围包含未申报的字段：{', '.join(wider)}",
            field="fields",
        )
    if scope.max_individuals < 0 or scope.max_sensitive_individuals < 0:
        raise InvalidInput("maximums cannot be negative", "上限不能为负数", field="max_individuals")
    if scope.max_individuals + scope.max_sensitive_individuals == 0:
        raise InvalidInput(
            "an approval must allow at least one individual",
            "批准范围至少应包含一人",
            field="max_individuals",
        )
    purpose = scope.purpose or application.purpose
    issued_on = on
    if application.kind is ApplicationKind.extension and application.previous_approval_id:
        previous = session.get_one(Approval, application.previous_approval_id)
        # The extension runs on from the end of the result it extends.
        issued_on = previous.expires_on or on
    _move(
        session,
        principal,
        application,
        "approve",
        on,
        {"max_individuals": scope.max_individuals, "fields": list(scope.fields)},
    )
    expires = (
        None
        if application.kind is ApplicationKind.contract_filing
        else calendar.add_years(issued_on, VALIDITY_YEARS)
    )
    approval = Approval(
        application_id=application.id,
        kind=application.kind,
        org_id=application.org_id,
        dataset_id=application.dataset_id,
        recipient_org_id=application.recipient_org_id,
        purpose=purpose,
        fields=list(scope.fields or application.fields),
        max_individuals=scope.max_individuals,
        max_sensitive_individuals=scope.max_sensitive_individuals,
        issued_on=issued_on,
        expires_on=expires,
        approved_by=principal.actor,
    )
    session.add(approval)
    session.flush()
    record(
        session,
        principal,
        "approval.issued",
        target_type="approval",
        target_id=approval.id,
        org_id=approval.org_id,
        application=str(application.id),
        expires_on=expires.isoformat() if expires else None,
        max_individuals=scope.max_individuals,
    )
    return approval


def reject(
    session: Session,
    principal: Principal,
    application: Application,
    *,
    reasons: Sequence[str],
    on: date,
) -> Application:
    _require_reviewer(principal)
    items = [r.strip() for r in reasons if r.strip()]
    if not items:
        raise InvalidInput(
            "give the reasons for rejecting", "请说明不予通过的理由", field="reasons"
        )
    _move(session, principal, application, "reject", on, {"reasons": items})
    return application


@dataclass(frozen=True)
class ExtensionWindow:
    opens: date
    closes: date
    provisional: bool


def extension_window(approval: Approval) -> ExtensionWindow:
    if approval.expires_on is None:
        raise InvalidInput(
            "this approval has no term, so it needs no extension",
            "该批准没有期限，无需延期",
            field="approval",
        )
    opens = calendar.subtract_working_days(approval.expires_on, EXTENSION_WINDOW)
    return ExtensionWindow(opens.due, approval.expires_on, opens.provisional)


def request_extension(
    session: Session,
    principal: Principal,
    approval: Approval,
    *,
    individuals: int,
    sensitive_individuals: int = 0,
    on: date,
) -> Application:
    """Apply to extend an assessment result by 3 years (Provisions Art. 9)."""
    authorize(
        principal,
        Permission.dataset_write,
        approval.org_id,
        read_permission=Permission.dataset_read,
        what="approval",
    )
    window = extension_window(approval)
    if not window.opens <= on < window.closes:
        raise InvalidInput(
            f"an extension can be applied for from {window.opens} until the result expires on "
            f"{window.closes} (the 60 working days before expiry); {on} is outside",
            f"延期申请须在 {window.opens} 至 {window.closes}（有效期届满前60个工作日内）提出；"
            f"{on} 不在此期间",
            field="on",
        )
    for asked, approved, name in (
        (individuals, approval.max_individuals, "individuals"),
        (sensitive_individuals, approval.max_sensitive_individuals, "sensitive_individuals"),
    ):
        limit = int(approved * (1 + EXTENSION_MAX_GROWTH))
        if asked > limit:
            growth = (asked / approved - 1) * 100 if approved else float("inf")
            raise InvalidInput(
                f"{name}: {asked:,} is {growth:.0f}% more than the {approved:,} approved; an "
                f"extension allows at most 20% growth ({limit:,}): apply anew instead",
                f"{name}：{asked:,} 比已批准的 {approved:,} 增长 {growth:.0f}%，延期最多允许增长20%"
                f"（{limit:,}），请重新申报",
                field=name,
            )
    previous = session.get_one(Application, approval.application_id)
    application = Application(
        org_id=approval.org_id,
        kind=ApplicationKind.extension,
        status=S.submitted,
        dataset_id=approval.dataset_id,
        dataset_version_id=previous.dataset_version_id,
        recipient_org_id=approval.recipient_org_id,
        recipient_country=previous.recipient_country,
        purpose=approval.purpose,
        fields=list(approval.fields),
        individuals=individuals,
        sensitive_individuals=sensitive_individuals,
        important_data=previous.important_data,
        retention=previous.retention,
        storage_location=previous.storage_location,
        decision=previous.decision,
        previous_approval_id=approval.id,
        received_on=on,
        created_by=principal.actor,
    )
    _set_due(application, on)
    session.add(application)
    session.flush()
    _event(session, principal, application, "submit", None, on, {"extends": str(approval.id)})
    return application


# -- reading -----------------------------------------------------------------------------


def get_application(
    session: Session, principal: Principal, application_id: uuid.UUID
) -> Application:
    application = session.get(Application, application_id)
    if application is None:
        raise NotFound("no such application", "不存在该申请")
    if not principal.has(Permission.application_review):
        authorize(
            principal,
            Permission.dataset_read,
            application.org_id,
            read_permission=Permission.dataset_read,
            what="application",
        )
    return application


def list_applications(
    session: Session,
    principal: Principal,
    *,
    org_id: uuid.UUID | None = None,
    status: ApplicationStatus | None = None,
) -> Sequence[Application]:
    query = sa.select(Application).order_by(
        Application.due_on.is_(None), Application.due_on, Application.created_at
    )
    if not principal.has(Permission.application_review):
        visible = principal.visible_org_ids(Permission.dataset_read)
        if visible is not None:
            query = query.where(Application.org_id.in_(visible))
    if org_id is not None:
        query = query.where(Application.org_id == org_id)
    if status is not None:
        query = query.where(Application.status == status)
    return session.scalars(query).all()


def history(session: Session, application: Application) -> Sequence[ApplicationEvent]:
    return session.scalars(
        sa.select(ApplicationEvent)
        .where(ApplicationEvent.application_id == application.id)
        .order_by(ApplicationEvent.at)
    ).all()


def approval_of(session: Session, application: Application) -> Approval | None:
    return session.scalars(
        sa.select(Approval).where(Approval.application_id == application.id)
    ).first()


def get_approval(session: Session, principal: Principal, approval_id: uuid.UUID) -> Approval:
    approval = session.get(Approval, approval_id)
    if approval is None:
        raise NotFound("no such approval", "不存在该批准")
    if not principal.has(Permission.application_review):
        authorize(
            principal,
            Permission.dataset_read,
            approval.org_id,
            read_permission=Permission.dataset_read,
            what="approval",
        )
    return approval


def dataset_version_of(session: Session, application: Application) -> DatasetVersion:
    return session.get_one(DatasetVersion, application.dataset_version_id)


def describe_approval(approval: Approval) -> ApprovalOut:
    out = ApprovalOut.model_validate(approval)
    if approval.expires_on is not None:
        out.extension_opens_on = extension_window(approval).opens
    return out


def describe_application(session: Session, application: Application) -> ApplicationDetail:
    approval = approval_of(session, application)
    return ApplicationDetail(
        **ApplicationOut.model_validate(
            {**_columns(application), "pathway": str(application.decision.get("pathway", ""))}
        ).model_dump(),
        decision=application.decision,
        history=[EventOut.model_validate(e) for e in history(session, application)],
        approval=describe_approval(approval) if approval else None,
    )


def summarise_application(application: Application) -> ApplicationOut:
    return ApplicationOut.model_validate(
        {**_columns(application), "pathway": str(application.decision.get("pathway", ""))}
    )


def _columns(application: Application) -> dict[str, object]:
    return {c.key: getattr(application, c.key) for c in sa.inspect(Application).column_attrs}


def assess_dataset(
    session: Session,
    principal: Principal,
    *,
    dataset: Dataset,
    recipient: Organisation,
    purpose: str,
    fields: Sequence[str] = (),
    conditions: dict[str, bool] | None = None,
    on: date,
    registry: PackRegistry | None = None,
) -> Decision:
    """The decision for sending a registered dataset's current version to ``recipient``.

    The facts come from the version's newest stored scan (personal information, sensitive
    personal information, minors, notified important data) and the cumulative counts from
    the exporter's recorded transfers: nothing is typed in.
    """
    authorize(
        principal,
        Permission.dataset_read,
        dataset.org_id,
        read_permission=Permission.dataset_read,
        what="dataset",
    )
    version = latest_version(session, dataset.id)
    facts = scan_facts(session, version) if version is not None else None
    if version is None or facts is None:
        raise InvalidInput(
            f"dataset {dataset.name!r} has no stored scan of its current version: run "
            f"'dataport dataset scan {dataset.name}' first",
            f"数据集 {dataset.name!r} 的当前版本尚未扫描：请先运行 "
            f"'dataport dataset scan {dataset.name}'",
            field="dataset",
        )
    exporter = session.get_one(Organisation, dataset.org_id)
    # A child's personal information is all sensitive (PIPL Art. 28), so minors count among
    # the sensitive individuals only.
    individuals = max(facts.individuals - facts.minors, 0) if facts.contains_pi else 0
    sensitive = facts.sensitive_individuals if facts.contains_pi else 0
    scenario = parse_scenario(
        {
            "as_of": on.isoformat(),
            "exporter": {
                "ciio": exporter.ciio,
                "registered_zone": exporter.registered_zone,
                "sector": dataset.sector,
            },
            "transfer": {
                "purpose": purpose,
                "recipient_country": recipient.country,
                "contains_pi": bool(individuals or sensitive),
                "individuals": individuals,
                "sensitive_individuals": sensitive,
                "important_data": facts.important_data,
                "core_data": facts.core_data,
                "fields": list(fields),
                "conditions": dict(conditions or {}),
            },
            "history": [
                h.model_dump(mode="json") for h in history_of(session, exporter.id, until=on)
            ],
        },
        source=f"dataset {dataset.name}",
    )
    return decide(scenario, registry)
