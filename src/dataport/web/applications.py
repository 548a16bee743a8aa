"""Applications: the exporter's list and submission form, the regulator's review queue, the
application file and the reviewer's actions."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response

from dataport.assessment import service as applications
from dataport.assessment.calendar import today_in_china
from dataport.assessment.models import Application, ApplicationStatus
from dataport.assessment.reports import (
    ReportFormat,
    ReportKind,
    generate_report,
    scan_findings,
    stored_scan,
)
from dataport.catalog import service as catalog
from dataport.catalog.models import Dataset
from dataport.errors import Conflict, InvalidInput, NotFound
from dataport.identity.authz import Permission
from dataport.identity.models import Organisation
from dataport.ledger import service as ledger
from dataport.rules.schemas import Decision
from dataport.web.core import (
    PREFIX,
    Form,
    FormDep,
    LangDep,
    SessionDep,
    SignedInDep,
    SupervisorDep,
    field_of,
    redirect,
    render,
)
from dataport.web.exporter import PURPOSES, _count, _day
from dataport.web.i18n import translator

router = APIRouter(prefix=PREFIX, include_in_schema=False)

#: The reviewer's actions, in the order an application meets them.
ACTIONS = ("confirm_complete", "accept", "request_supplement", "approve", "reject")
_ALLOWED = {name: applications.TRANSITIONS[name][0] for name in ACTIONS}


def _rows(session: SessionDep, found: Any) -> list[dict[str, Any]]:
    found = list(found)
    orgs = {o.id: o for o in session.scalars(sa.select(Organisation))} if found else {}
    names = (
        dict(
            session.execute(
                sa.select(Dataset.id, Dataset.name).where(
                    Dataset.id.in_({a.dataset_id for a in found})
                )
            ).all()
        )
        if found
        else {}
    )
    today = today_in_china()
    return [
        {
            "app": a,
            "org": orgs[a.org_id].name,
            "recipient": orgs[a.recipient_org_id].name,
            "dataset": names.get(a.dataset_id, ""),
            "pathway": str(a.decision.get("pathway", "")),
            "days_left": (a.due_on - today).days if a.due_on else None,
        }
        for a in found
    ]


@router.get("/applications")
def application_list(
    request: Request, lang: LangDep, session: SessionDep, me: SignedInDep
) -> Response:
    found = applications.list_applications(session, me.principal, org_id=me.organisation.id)
    return render(
        request,
        "applications.html",
        lang=lang,
        signed_in=me,
        section="applications",
        rows=_rows(session, found),
        can_submit=me.principal.has(Permission.dataset_write),
    )


@router.get("/review")
def review_queue(
    request: Request,
    lang: LangDep,
    session: SessionDep,
    me: SupervisorDep,
    status: str | None = None,
) -> Response:
    chosen = ApplicationStatus(status) if status in set(ApplicationStatus) else None
    found = applications.list_applications(session, me.principal, status=chosen)
    if chosen is None:
        # The queue: what waits for someone; decided applications are a filter away.
        found = [a for a in found if a.due_on is not None]
    return render(
        request,
        "review.html",
        lang=lang,
        signed_in=me,
        section="review",
        rows=_rows(session, found),
        statuses=list(ApplicationStatus),
        chosen=chosen,
    )


# -- submitting ---------------------------------------------------------------------------


def _own_datasets(session: SessionDep, me: SignedInDep) -> list[Dataset]:
    return list(catalog.list_datasets(session, me.principal, org_id=me.organisation.id))


def _new_page(
    request: Request, lang: LangDep, session: SessionDep, me: SignedInDep, form: Form
) -> Response:
    previous = session.scalars(
        sa.select(Organisation.name)
        .join(Application, Application.recipient_org_id == Organisation.id)
        .where(Application.org_id == me.organisation.id)
        .distinct()
    ).all()
    return render(
        request,
        "application_new.html",
        lang=lang,
        signed_in=me,
        section="applications",
        form=form,
        datasets=_own_datasets(session, me),
        purposes=PURPOSES,
        recipients=previous,
        status_code=422 if form.errors else 200,
    )


@router.get("/applications/new")
def application_new(
    request: Request, lang: LangDep, session: SessionDep, me: SignedInDep
) -> Response:
    form = Form(values={"purpose": "business", "individuals": "0", "sensitive_individuals": "0"})
    return _new_page(request, lang, session, me, form)


def _recipient(session: SessionDep, ref: str) -> Organisation | None:
    ref = ref.strip()
    found = session.scalars(sa.select(Organisation).where(Organisation.name == ref)).first()
    if found is None:
        try:
            found = session.get(Organisation, uuid.UUID(ref))
        except ValueError:
            found = None
    return found


_SUBMIT_FIELDS = {
    "recipient": "recipient",
    "retention": "retention",
    "storage_location": "storage_location",
    "individuals": "individuals",
    "sensitive_individuals": "sensitive_individuals",
    "fields": "fields",
    "dataset": "dataset_id",
}


@router.post("/applications/new")
def application_submit(
    request: Request, lang: LangDep, session: SessionDep, me: SignedInDep, form: FormDep
) -> Response:
    t = translator(lang)
    dataset = None
    try:
        dataset = catalog.get_dataset(session, me.principal, uuid.UUID(form.get("dataset_id")))
    except (ValueError, NotFound):
        form.error("dataset_id", t("error_choose_dataset"))
    recipient = None
    if not form.get("recipient").strip():
        form.error("recipient", t("error_required"))
    else:
        recipient = _recipient(session, form.get("recipient"))
        if recipient is None:
            form.error("recipient", t("error_no_recipient"))
    individuals = _count(form, "individuals", t)
    sensitive = _count(form, "sensitive_individuals", t)
    contract_on = _day(form, "contract_effective_on", t, required=False)
    if form.get("purpose") not in PURPOSES:
        form.error("purpose", t("error_required"))
    fields = tuple(
        f.strip()
        for f in form.get("fields").replace("，", ",").replace("\n", ",").split(",")
        if f.strip()
    )
    if form.errors or dataset is None or recipient is None:
        return _new_page(request, lang, session, me, form)
    try:
        application = applications.submit(
            session,
            me.principal,
            applications.Submission(
                dataset=dataset,
                recipient=recipient,
                purpose=form.get("purpose"),
                individuals=individuals,
                sensitive_individuals=sensitive,
                important_data=form.checked("important_data"),
                fields=fields,
                retention=form.get("retention"),
                storage_location=form.get("storage_location"),
                contract_effective_on=contract_on,
            ),
            on=today_in_china(),
        )
    except (InvalidInput, Conflict) as error:
        session.rollback()
        form.error(field_of(error, _SUBMIT_FIELDS), error.message(lang))
        return _new_page(request, lang, session, me, form)
    return redirect(f"/applications/{application.id}")


# -- the application file -----------------------------------------------------------------


def _file_page(
    request: Request,
    lang: LangDep,
    session: SessionDep,
    me: SignedInDep,
    application: Application,
    errors: dict[str, str] | None = None,
    form: Form | None = None,
) -> Response:
    detail = applications.describe_application(session, application)
    version = applications.dataset_version_of(session, application)
    scan = stored_scan(session, version)
    orgs = {
        o.id: o
        for o in session.scalars(
            sa.select(Organisation).where(
                Organisation.id.in_({application.org_id, application.recipient_org_id})
            )
        )
    }
    reviewer = me.principal.has(Permission.application_review)
    actions = [a for a in ACTIONS if reviewer and application.status in _ALLOWED[a]]
    return render(
        request,
        "application.html",
        lang=lang,
        signed_in=me,
        section="review" if me.principal.has(Permission.supervision_read) else "applications",
        app=detail,
        decision=Decision.model_validate(application.decision),
        exporter=orgs[application.org_id],
        recipient=orgs[application.recipient_org_id],
        dataset=session.get_one(Dataset, application.dataset_id),
        version=version,
        scan=scan_findings(scan) if scan is not None else None,
        evidence=ledger.evidence_of(session, "application", str(application.id)),
        actions=actions,
        can_resubmit=(
            application.status is ApplicationStatus.supplement_requested
            and application.org_id == me.organisation.id
            and me.principal.has(Permission.dataset_write)
        ),
        errors=errors or {},
        form=form
        or Form(
            values={
                "max_individuals": str(application.individuals),
                "max_sensitive_individuals": str(application.sensitive_individuals),
            }
        ),
        days_left=(detail.due_on - today_in_china()).days if detail.due_on else None,
        status_code=422 if errors else 200,
    )


@router.get("/applications/{application_id}")
def application_file(
    request: Request,
    application_id: uuid.UUID,
    lang: LangDep,
    session: SessionDep,
    me: SignedInDep,
) -> Response:
    application = applications.get_application(session, me.principal, application_id)
    return _file_page(request, lang, session, me, application)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@router.post("/applications/{application_id}/{action}")
def application_action(
    request: Request,
    application_id: uuid.UUID,
    action: str,
    lang: LangDep,
    session: SessionDep,
    me: SignedInDep,
    form: FormDep,
) -> Response:
    t = translator(lang)
    application = applications.get_application(session, me.principal, application_id)
    today = today_in_china()
    p = me.principal
    try:
        if action == "confirm_complete":
            applications.confirm_complete(session, p, application, on=today)
        elif action == "accept":
            applications.accept(session, p, application, on=today)
        elif action == "request_supplement":
            applications.request_supplement(
                session, p, application, missing=_lines(form.get("missing")), on=today
            )
        elif action == "reject":
            applications.reject(
                session, p, application, reasons=_lines(form.get("reasons")), on=today
            )
        elif action == "resubmit":
            applications.resubmit(session, p, application, on=today, note=form.get("note"))
        elif action == "approve":
            maximum = _count(form, "max_individuals", t)
            sensitive = _count(form, "max_sensitive_individuals", t)
            if form.errors:
                return _file_page(request, lang, session, me, application, form.errors, form)
            applications.approve(
                session,
                p,
                application,
                scope=applications.Scope(
                    fields=tuple(form.lists.get("fields", [])),
                    max_individuals=maximum,
                    max_sensitive_individuals=sensitive,
                ),
                on=today,
            )
        else:
            raise NotFound("no such action", "不存在该操作")
    except (InvalidInput, Conflict) as error:
        session.rollback()
        application = applications.get_application(session, me.principal, application_id)
        name = field_of(error)
        return _file_page(
            request, lang, session, me, application, {name: error.message(lang)}, form
        )
    return redirect(f"/applications/{application_id}")


@router.get("/applications/{application_id}/reports/{kind}.{fmt}")
def application_report(
    application_id: uuid.UUID,
    kind: ReportKind,
    fmt: ReportFormat,
    session: SessionDep,
    me: SignedInDep,
) -> Response:
    """A draft of the report, from what dataport knows (the narrative parts marked missing)."""
    report = generate_report(session, me.principal, application_id, kind, fmt, {}, draft=True)
    return Response(
        report.content,
        media_type=report.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{report.filename}"',
            "X-Report-SHA256": report.sha256,
        },
    )
