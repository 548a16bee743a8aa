"""Every console route, opened by one company with another company's ids, reveals nothing of
it; regulator pages answer 403 to anyone without an oversight role of a regulator.

The table must name every console route: a new route without an entry fails here.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dataport.assessment.calendar import today_in_china
from dataport.config import Settings
from dataport.web.routes import router
from tests.web.test_pages import csrf_of, sign_in
from tests.web.world import Console, build, send_transfers

PUBLIC = {
    ("GET", "/"),
    ("GET", "/console/sign-in"),
    ("POST", "/console/sign-in"),
    ("GET", "/console/lang"),
}
REGULATOR_ONLY = {
    "/console/supervision",
    "/console/review",
    "/console/alerts",
    "/console/rules",
    "/console/rules/{ref}",
    "/console/spot-checks",
    "/console/spot-checks/{campaign_id}",
    "/console/spot-checks/{campaign_id}/{action}",
    "/console/spot-checks/{campaign_id}/items/{item_id}/receipt.json",
}


@pytest.fixture
def console(session: Session, connection: sa.Connection, settings: Settings) -> Console:
    """The world with transfers: B's refused transfer is the one A must never see."""
    built = build(session, settings)
    session.flush()

    def sessions() -> Session:
        return Session(bind=connection, join_transaction_mode="create_savepoint")

    send_transfers(sessions, settings, built, today_in_china())
    return built


def walk(c: Console) -> dict[tuple[str, str], str]:
    """Each signed-in route with B's (or a random) id filled in."""
    other = uuid.uuid4()
    assert c.transfers is not None
    b_transfer = c.transfers.b_transfer
    return {
        ("GET", "/console/transfers"): "/console/transfers",
        ("GET", "/console/transfers/{transfer_id}"): f"/console/transfers/{b_transfer}",
        ("GET", "/console/transfers/{transfer_id}/receipt.json"): (
            f"/console/transfers/{b_transfer}/receipt.json"
        ),
        ("GET", "/console/transfers/{transfer_id}/manifest.json"): (
            f"/console/transfers/{b_transfer}/manifest.json"
        ),
        ("GET", "/console/transfers/{transfer_id}/manifest.sig"): (
            f"/console/transfers/{b_transfer}/manifest.sig"
        ),
        ("GET", "/console/trace"): "/console/trace",
        ("POST", "/console/trace"): "/console/trace",
        ("GET", "/console"): "/console",
        ("GET", "/console/"): "/console/",
        ("POST", "/console/sign-out"): "/console/sign-out",
        ("GET", "/console/overview"): "/console/overview",
        ("GET", "/console/datasets"): "/console/datasets",
        ("GET", "/console/datasets/{dataset_id}"): f"/console/datasets/{c.b_dataset_id}",
        ("GET", "/console/receipts/{index}"): "/console/receipts/0",
        ("GET", "/console/assess"): "/console/assess",
        ("POST", "/console/assess"): "/console/assess",
        ("GET", "/console/evidence-requests"): "/console/evidence-requests",
        ("POST", "/console/evidence-requests/{item_id}"): f"/console/evidence-requests/{other}",
        ("GET", "/console/applications"): "/console/applications",
        ("GET", "/console/applications/new"): "/console/applications/new",
        ("POST", "/console/applications/new"): "/console/applications/new",
        ("GET", "/console/applications/{application_id}"): (
            f"/console/applications/{c.b_application_id}"
        ),
        ("POST", "/console/applications/{application_id}/{action}"): (
            f"/console/applications/{c.b_application_id}/confirm_complete"
        ),
        ("GET", "/console/applications/{application_id}/reports/{kind}.{fmt}"): (
            f"/console/applications/{c.b_application_id}/reports/pia.html"
        ),
        ("GET", "/console/supervision"): "/console/supervision",
        ("GET", "/console/review"): "/console/review",
        ("GET", "/console/alerts"): "/console/alerts",
        ("GET", "/console/rules"): "/console/rules",
        ("GET", "/console/rules/{ref}"): "/console/rules/cn-national",
        ("GET", "/console/spot-checks"): "/console/spot-checks",
        ("POST", "/console/spot-checks"): "/console/spot-checks",
        ("GET", "/console/spot-checks/{campaign_id}"): f"/console/spot-checks/{other}",
        ("POST", "/console/spot-checks/{campaign_id}/{action}"): (
            f"/console/spot-checks/{other}/draw"
        ),
        ("GET", "/console/spot-checks/{campaign_id}/items/{item_id}/receipt.json"): (
            f"/console/spot-checks/{other}/items/{other}/receipt.json"
        ),
    }


def console_routes() -> set[tuple[str, str]]:
    """Every (method, path) the console router serves, its included routers flattened."""
    found = set()
    pending = list(router.routes)
    while pending:
        route = pending.pop()
        included = getattr(route, "original_router", None)
        if included is not None:
            pending.extend(included.routes)
            continue
        for method in set(getattr(route, "methods", set())) - {"HEAD"}:
            found.add((method, route.path))  # type: ignore[attr-defined]
    return found


def test_the_walk_covers_every_console_route(console: Console) -> None:
    assert console_routes() == set(walk(console)) | PUBLIC


def secrets_of_b(c: Console) -> list[str]:
    return [
        "Beta Robotics",
        "beta-secret-telemetry",
        str(c.b_dataset_id),
        "Munich, DE",
        "admin@beta-robotics.example",
        str(c.b.id),
        "beta-customers",
        *([str(c.transfers.b_transfer)] if c.transfers else []),
    ]


@pytest.mark.parametrize("who", ["a_officer", "a_analyst"])
def test_another_companys_records_never_show(
    client: TestClient, console: Console, who: str
) -> None:
    assert sign_in(client, getattr(console, who)) == 303
    csrf = csrf_of(client, "/console/assess")
    for (method, route), url in walk(console).items():
        if route == "/console/sign-out":
            continue
        data = {
            "csrf": csrf,
            "recipient_country": "DE",
            "dataset_id": str(console.b_dataset_id),
            "recipient": "Rheinwerk Analytics GmbH",
            "retention": "1y",
            "storage_location": "x",
            "individuals": "5",
            "title": "x",
        }
        response = client.request(method, url, data=data if method == "POST" else None)
        path = route.removeprefix("")
        if path in REGULATOR_ONLY:
            assert response.status_code == 403, (method, url, response.status_code)
            assert "无权访问此页面" in response.text
            assert "You may not open this page" in response.text
        else:
            assert response.status_code in (200, 403, 404, 422), (method, url, response.text[-500:])
        if method == "POST" and path not in ("/console/assess",):
            assert response.status_code in (403, 404, 422), (method, url)
        for secret in secrets_of_b(console):
            if secret in url:
                continue
            assert secret not in response.text, (method, url, secret)


def test_a_regulator_without_an_oversight_role_sees_no_regulator_page(
    client: TestClient, console: Console
) -> None:
    assert sign_in(client, console.regulator_analyst) == 303
    for (method, route), url in walk(console).items():
        if method == "GET" and route in REGULATOR_ONLY:
            assert client.get(url).status_code == 403, url
