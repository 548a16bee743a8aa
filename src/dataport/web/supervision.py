"""The regulator's pages: the dashboard of flows, alerts, the rule packs in force, and
spot-check campaigns."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response

from dataport.assessment.calendar import today_in_china
from dataport.assessment.models import ApplicationStatus
from dataport.catalog import service as catalog
from dataport.errors import Conflict, InvalidInput, NotFound
from dataport.identity.authz import Permission
from dataport.identity.models import Organisation
from dataport.rules.pack import shipped_packs
from dataport.supervision import campaigns
from dataport.supervision.alerts import alerts
from dataport.supervision.flows import declared_flows, recorded_flows, tally_by
from dataport.supervision.models import SpotCheckCampaign
from dataport.transfer.models import TransferStatus
from dataport.web.core import (
    PREFIX,
    Form,
    FormDep,
    LangDep,
    SessionDep,
    SupervisorDep,
    field_of,
    pick,
    redirect,
    render,
    require_permission,
)
from dataport.web.exporter import _count, _day
from dataport.web.i18n import translator

router = APIRouter(prefix=PREFIX, include_in_schema=False)

#: Refusal codes of the transfer service with a short label in the catalogue.
REASON_CODES = frozenset(
    {
        "approval_columns",
        "approval_dataset",
        "approval_expired",
        "approval_individuals",
        "approval_kind",
        "approval_not_yet_valid",
        "approval_purpose",
        "approval_recipient",
        "approval_required",
        "approval_sensitive_individuals",
        "destination_undeclared",
        "k_anonymity",
        "offshore_to_domestic",
        "prohibited",
        "recipient_in_china",
        "recipient_is_exporter",
    }
)


@router.get("/supervision")
def dashboard(
    request: Request,
    lang: LangDep,
    session: SessionDep,
    me: SupervisorDep,
    year: int | None = None,
) -> Response:
    t = translator(lang)
    today = today_in_china()
    year = year if year and 2000 <= year <= today.year else today.year
    start, end = date(year, 1, 1), date(year, 12, 31)
    recorded = recorded_flows(session, me.principal, start=start, end=end)
    sent = [f for f in recorded if f.counted]
    refused = [f for f in recorded if f.status is TransferStatus.refused]
    declared = declared_flows(session, me.principal, start=start, end=end)
    sectors = catalog.sectors()
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    # Months still to come have no count, not a count of zero.
    past = [m for m in months if m <= today.strftime("%Y-%m")]
    by_month = tally_by(sent, "month")
    by_country = tally_by(sent, "country")
    by_sector = tally_by(sent, "sector")
    by_pathway = tally_by(sent, "pathway")
    charts = {
        "months": months,
        "individuals": [by_month[m].individuals if m in by_month else 0 for m in past],
        "sensitive": [by_month[m].sensitive_individuals if m in by_month else 0 for m in past],
        "datasets": [by_month[m].datasets if m in by_month else 0 for m in past],
        "countries": [[c, v.individuals + v.sensitive_individuals] for c, v in by_country.items()],
        "sectors": [
            [
                pick(lang, sectors.get(s, {"zh": s, "en": s})),
                v.individuals + v.sensitive_individuals,
            ]
            for s, v in by_sector.items()
        ],
        "pathways": [[t(f"pathway_{p}"), v.flows] for p, v in by_pathway.items()],
        "labels": {
            "individuals": t("individuals"),
            "sensitive": t("sensitive_individuals"),
            "datasets": t("datasets"),
            "transfers": t("transfers_count"),
        },
    }
    approved = [f for f in declared if f.status is ApplicationStatus.approved]
    return render(
        request,
        "dashboard.html",
        lang=lang,
        signed_in=me,
        section="supervision",
        year=year,
        years=list(range(today.year, today.year - 4, -1)),
        totals={
            "individuals": sum(f.individuals for f in sent),
            "sensitive": sum(f.sensitive_individuals for f in sent),
            "datasets": len({f.dataset_id for f in sent}),
            "exporters": len({f.org_id for f in sent}),
            "transfers": len(sent),
            "refused": len(refused),
            "applications": len(declared),
            "approved": sum(f.individuals + f.sensitive_individuals for f in approved),
            "rejected": sum(1 for f in declared if f.status is ApplicationStatus.rejected),
        },
        by_country=by_country,
        refused=list(reversed(refused)),
        sectors=sectors,
        chart_json=json.dumps(charts, ensure_ascii=False),
        reason_codes=REASON_CODES,
    )


@router.get("/alerts")
def alert_list(request: Request, lang: LangDep, session: SessionDep, me: SupervisorDep) -> Response:
    return render(
        request,
        "alerts.html",
        lang=lang,
        signed_in=me,
        section="alerts",
        alerts=alerts(session, me.principal, today_in_china()),
    )


@router.get("/rules")
def rule_packs(request: Request, lang: LangDep, me: SupervisorDep) -> Response:
    today = today_in_china()
    registry = shipped_packs()
    return render(
        request,
        "rules.html",
        lang=lang,
        signed_in=me,
        section="rules",
        in_force=registry.in_force(today),
        all_packs=registry.packs,
        today=today,
    )


@router.get("/rules/{ref}")
def rule_pack(request: Request, ref: str, lang: LangDep, me: SupervisorDep) -> Response:
    try:
        compiled = shipped_packs().find(ref)
    except InvalidInput:
        raise NotFound("no such rule pack", "不存在该规则包") from None
    return render(
        request,
        "rule_pack.html",
        lang=lang,
        signed_in=me,
        section="rules",
        pack=compiled.pack,
        in_force=compiled.pack.in_force(today_in_china()),
    )


# -- spot checks ----------------------------------------------------------------------------


def _campaigns_page(
    request: Request, lang: LangDep, session: SessionDep, me: SupervisorDep, form: Form
) -> Response:
    return render(
        request,
        "spot_checks.html",
        lang=lang,
        signed_in=me,
        section="spot-checks",
        campaigns=campaigns.list_campaigns(session, me.principal),
        populations=list(campaigns.POPULATIONS),
        form=form,
        can_act=me.principal.has(Permission.spot_check),
        status_code=422 if form.errors else 200,
    )


@router.get("/spot-checks")
def spot_checks(
    request: Request, lang: LangDep, session: SessionDep, me: SupervisorDep
) -> Response:
    today = today_in_china()
    form = Form(
        values={
            "population": "approval",
            "period_from": date(today.year, 1, 1).isoformat(),
            "period_to": today.isoformat(),
            "sample_size": "5",
        }
    )
    return _campaigns_page(request, lang, session, me, form)


@router.post("/spot-checks")
def announce(
    request: Request, lang: LangDep, session: SessionDep, me: SupervisorDep, form: FormDep
) -> Response:
    t = translator(lang)
    require_permission(me, Permission.spot_check)
    start = _day(form, "period_from", t)
    end = _day(form, "period_to", t)
    size = _count(form, "sample_size", t)
    if not form.get("title").strip():
        form.error("title", t("error_required"))
    if form.errors or start is None or end is None:
        return _campaigns_page(request, lang, session, me, form)
    try:
        campaign = campaigns.announce(
            session,
            me.principal,
            title=form.get("title"),
            population=form.get("population"),
            period_from=start,
            period_to=end,
            sample_size=size,
        )
    except (InvalidInput, Conflict) as error:
        session.rollback()
        form.error(field_of(error), error.message(lang))
        return _campaigns_page(request, lang, session, me, form)
    return redirect(f"/spot-checks/{campaign.id}")


def _campaign_page(
    request: Request,
    lang: LangDep,
    session: SessionDep,
    me: SupervisorDep,
    campaign: SpotCheckCampaign,
    errors: dict[str, str] | None = None,
) -> Response:
    items = campaigns.items_of(session, campaign)
    names = dict(session.execute(sa.select(Organisation.id, Organisation.name)).all())
    return render(
        request,
        "spot_check.html",
        lang=lang,
        signed_in=me,
        section="spot-checks",
        campaign=campaign,
        items=items,
        names=names,
        can_act=me.principal.has(Permission.spot_check),
        errors=errors or {},
        status_code=422 if errors else 200,
    )


@router.get("/spot-checks/{campaign_id}")
def spot_check(
    request: Request, campaign_id: uuid.UUID, lang: LangDep, session: SessionDep, me: SupervisorDep
) -> Response:
    campaign = campaigns.get_campaign(session, me.principal, campaign_id)
    return _campaign_page(request, lang, session, me, campaign)


@router.post("/spot-checks/{campaign_id}/{action}")
def spot_check_action(
    request: Request,
    campaign_id: uuid.UUID,
    action: str,
    lang: LangDep,
    session: SessionDep,
    me: SupervisorDep,
    form: FormDep,
) -> Response:
    campaign = campaigns.get_campaign(session, me.principal, campaign_id)
    item_id = form.get("item")
    try:
        if action == "draw":
            campaigns.draw(session, me.principal, campaign)
        elif action == "conclude":
            campaigns.conclude(session, me.principal, campaign, form.get("conclusion"))
        else:
            try:
                item = campaigns.item_of(session, campaign, uuid.UUID(item_id))
            except ValueError:
                raise InvalidInput("no item chosen", "未选择抽查项", field="item") from None
            require_permission(me, Permission.spot_check)
            if action == "verify":
                campaigns.verify_item(session, campaign, item)
            elif action == "request-evidence":
                campaigns.request_evidence(
                    session, me.principal, campaign, item, form.get("request")
                )
            elif action == "outcome":
                campaigns.record_outcome(
                    session,
                    me.principal,
                    campaign,
                    item,
                    outcome=form.get("outcome"),
                    note=form.get("note"),
                )
            else:
                raise NotFound("no such action", "不存在该操作")
    except (InvalidInput, Conflict) as error:
        session.rollback()
        campaign = campaigns.get_campaign(session, me.principal, campaign_id)
        key = f"{item_id}:{field_of(error)}" if item_id else field_of(error)
        return _campaign_page(request, lang, session, me, campaign, {key: error.message(lang)})
    return redirect(f"/spot-checks/{campaign_id}")


@router.get("/spot-checks/{campaign_id}/items/{item_id}/receipt.json")
def spot_check_receipt(
    campaign_id: uuid.UUID, item_id: uuid.UUID, session: SessionDep, me: SupervisorDep
) -> Response:
    campaign = campaigns.get_campaign(session, me.principal, campaign_id)
    item = campaigns.item_of(session, campaign, item_id)
    body: dict[str, Any] = campaigns.receipt_of(session, item)
    return Response(
        json.dumps(body, ensure_ascii=False, indent=2) + "\n",
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="receipt-{item.log_index}.json"'},
    )
