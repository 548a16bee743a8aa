"""An exporter's pages: overview and thresholds, datasets and their scans, what-if decisions,
evidence requests, receipts."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response

from dataport.assessment import service as applications
from dataport.assessment.calendar import today_in_china
from dataport.assessment.reports import scan_findings, stored_scan
from dataport.catalog import service as catalog
from dataport.errors import InvalidInput
from dataport.identity.authz import Permission
from dataport.identity.models import Organisation
from dataport.ledger import service as ledger
from dataport.rules.engine import decide
from dataport.rules.scenario import parse_scenario
from dataport.supervision import campaigns
from dataport.supervision.flows import national_thresholds, sent_in_window, share, year_counts
from dataport.web.core import (
    PREFIX,
    Form,
    FormDep,
    LangDep,
    SessionDep,
    SignedInDep,
    field_of,
    redirect,
    render,
)
from dataport.web.i18n import translator

router = APIRouter(prefix=PREFIX, include_in_schema=False)

ZONES = ("lingang", "shanghai_ftz", "tianjin_ftz", "beijing_ftz")
PURPOSES = (
    "business",
    "contract_with_individual",
    "hr_management",
    "emergency",
    "trade_no_pi",
    "foreign_origin",
)


@router.get("/overview")
def overview(request: Request, lang: LangDep, session: SessionDep, me: SignedInDep) -> Response:
    today = today_in_china()
    org = me.organisation
    pack, limits = national_thresholds(today)
    counts = year_counts(session, [org.id], today.year)[org.id]
    sent = sent_in_window(session, org.id, today)
    rows = []
    for limit in limits:
        applied = (
            counts.applied_individuals
            if limit.fact == "cumulative_individuals"
            else counts.applied_sensitive
        )
        approved = (
            counts.approved_individuals
            if limit.fact == "cumulative_individuals"
            else counts.approved_sensitive
        )
        rows.append(
            {
                "limit": limit,
                "applied": applied,
                "approved": approved,
                "sent": sent.individuals
                if limit.fact == "cumulative_individuals"
                else sent.sensitive_individuals,
                "percent": min(100, round(share(applied, limit) * 100)),
            }
        )
    own = [
        a
        for a in applications.list_applications(session, me.principal, org_id=org.id)
        if a.due_on is not None
    ]
    requests = [
        (item, campaign)
        for item, campaign in campaigns.evidence_requests(session, me.principal)
        if item.evidence_response is None
    ]
    return render(
        request,
        "overview.html",
        lang=lang,
        signed_in=me,
        section="overview",
        pack=pack,
        rows=rows,
        year=today.year,
        deadlines=own[:10],
        requests=requests,
    )


# -- datasets ---------------------------------------------------------------------------------


def _scan(session: SessionDep, dataset_id: uuid.UUID) -> Any:
    version = catalog.latest_version(session, dataset_id)
    if version is None:
        return None
    result = stored_scan(session, version)
    return scan_findings(result) if result is not None else None


@router.get("/datasets")
def datasets(request: Request, lang: LangDep, session: SessionDep, me: SignedInDep) -> Response:
    found = catalog.list_datasets(session, me.principal)
    names = dict(
        session.execute(
            sa.select(Organisation.id, Organisation.name).where(
                Organisation.id.in_({d.org_id for d in found})
            )
        ).all()
    )
    rows = [
        {
            "dataset": d,
            "version": catalog.latest_version(session, d.id),
            "scan": _scan(session, d.id),
            "org": names.get(d.org_id, ""),
        }
        for d in found
    ]
    return render(request, "datasets.html", lang=lang, signed_in=me, section="datasets", rows=rows)


@router.get("/datasets/{dataset_id}")
def dataset(
    request: Request, dataset_id: uuid.UUID, lang: LangDep, session: SessionDep, me: SignedInDep
) -> Response:
    found = catalog.get_dataset(session, me.principal, dataset_id)
    described = catalog.describe_dataset(session, found)
    scan = _scan(session, found.id)
    by_column = {c.name: c for c in scan.columns} if scan is not None else {}
    return render(
        request,
        "dataset.html",
        lang=lang,
        signed_in=me,
        section="datasets",
        dataset=described,
        versions=catalog.list_versions(session, me.principal, found),
        scan=scan,
        by_column=by_column,
        sectors=catalog.sectors(),
        evidence=ledger.evidence_of(session, "dataset", str(found.id)),
        owner=session.get_one(Organisation, found.org_id),
    )


@router.get("/receipts/{index}")
def receipt(index: int, session: SessionDep, me: SignedInDep) -> Response:
    """An evidence-log receipt, for an entry about an organisation the person may read."""
    body = ledger.receipt_for(session, me.principal, index)
    return Response(
        json.dumps(body, ensure_ascii=False, indent=2) + "\n",
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="receipt-{index}.json"'},
    )


# -- what-if --------------------------------------------------------------------------------

_SCENARIO_FIELDS = {
    "as_of": "as_of",
    "ciio": "ciio",
    "registered_zone": "registered_zone",
    "sector": "sector",
    "purpose": "purpose",
    "recipient_country": "recipient_country",
    "individuals": "individuals",
    "sensitive_individuals": "sensitive_individuals",
    "contains_pi": "individuals",
    "history": "earlier_individuals",
}


def _whatif_defaults(me: SignedInDep) -> Form:
    org = me.organisation
    values = {
        "as_of": today_in_china().isoformat(),
        "registered_zone": org.registered_zone or "",
        "sector": "general",
        "purpose": "business",
        "recipient_country": "",
        "individuals": "0",
        "sensitive_individuals": "0",
        "earlier_individuals": "0",
        "earlier_sensitive": "0",
    }
    if org.ciio:
        values["ciio"] = "on"
    return Form(values=values)


def _count(form: Form, name: str, t: Any) -> int:
    text = form.get(name, "0").strip().replace(",", "") or "0"
    try:
        value = int(text)
    except ValueError:
        form.error(name, t("error_whole_number"))
        return 0
    if value < 0:
        form.error(name, t("error_not_negative"))
    return value


def _day(form: Form, name: str, t: Any, required: bool = True) -> date | None:
    text = form.get(name).strip()
    if not text:
        if required:
            form.error(name, t("error_required"))
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        form.error(name, t("error_date"))
        return None


def _scenario(form: Form, t: Any) -> dict[str, Any] | None:
    as_of = _day(form, "as_of", t)
    individuals = _count(form, "individuals", t)
    sensitive = _count(form, "sensitive_individuals", t)
    earlier = _count(form, "earlier_individuals", t)
    earlier_sensitive = _count(form, "earlier_sensitive", t)
    country = form.get("recipient_country").strip().upper()
    if not country:
        form.error("recipient_country", t("error_required"))
    if form.errors or as_of is None:
        return None
    history = []
    if earlier or earlier_sensitive:
        history.append(
            {
                "date": date(as_of.year, 1, 1).isoformat(),
                "individuals": earlier,
                "sensitive_individuals": earlier_sensitive,
            }
        )
    return {
        "as_of": as_of.isoformat(),
        "exporter": {
            "ciio": form.checked("ciio"),
            "registered_zone": form.get("registered_zone") or None,
            "sector": form.get("sector") or "general",
        },
        "transfer": {
            "purpose": form.get("purpose"),
            "recipient_country": country,
            "contains_pi": bool(individuals or sensitive),
            "individuals": individuals,
            "sensitive_individuals": sensitive,
            "important_data": form.checked("important_data"),
            "self_identified_important": form.checked("self_identified_important"),
            "core_data": form.checked("core_data"),
        },
        "history": history,
    }


def _whatif_page(
    request: Request, lang: LangDep, me: SignedInDep, form: Form, **extra: Any
) -> Response:
    return render(
        request,
        "assess.html",
        lang=lang,
        signed_in=me,
        section="assess",
        form=form,
        zones=ZONES,
        purposes=PURPOSES,
        sectors=catalog.sectors(),
        status_code=422 if form.errors else 200,
        **extra,
    )


@router.get("/assess")
def whatif(request: Request, lang: LangDep, me: SignedInDep) -> Response:
    return _whatif_page(request, lang, me, _whatif_defaults(me), decision=None)


@router.post("/assess")
def whatif_decide(request: Request, lang: LangDep, me: SignedInDep, form: FormDep) -> Response:
    t = translator(lang)
    scenario = _scenario(form, t)
    decision = None
    if scenario is not None:
        try:
            decision = decide(parse_scenario(scenario, source="form"))
        except InvalidInput as error:
            message = error.message(lang).split("：", 1)[-1] if lang == "zh-CN" else error.en
            form.error(field_of(error, _SCENARIO_FIELDS), message)
    return _whatif_page(request, lang, me, form, decision=decision)


# -- evidence asked of the exporter ---------------------------------------------------------


@router.get("/evidence-requests")
def evidence_requests(
    request: Request, lang: LangDep, session: SessionDep, me: SignedInDep
) -> Response:
    return render(
        request,
        "evidence_requests.html",
        lang=lang,
        signed_in=me,
        section="evidence-requests",
        requests=campaigns.evidence_requests(session, me.principal),
        can_answer=me.principal.has(Permission.dataset_write),
        errors={},
    )


@router.post("/evidence-requests/{item_id}")
def answer_evidence_request(
    request: Request,
    item_id: uuid.UUID,
    lang: LangDep,
    session: SessionDep,
    me: SignedInDep,
    form: FormDep,
) -> Response:
    try:
        campaigns.respond(session, me.principal, item_id, form.get("response"))
    except InvalidInput as error:
        session.rollback()
        return render(
            request,
            "evidence_requests.html",
            lang=lang,
            signed_in=me,
            section="evidence-requests",
            requests=campaigns.evidence_requests(session, me.principal),
            can_answer=me.principal.has(Permission.dataset_write),
            errors={str(item_id): error.message(lang)},
            status_code=422,
        )
    return redirect("/evidence-requests")
