"""The console through HTTP (no browser): sign-in, headers, CSRF, and every page in both
languages for each kind of person."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dataport.config import Settings
from tests.web.world import PASSWORD, Console, build


@pytest.fixture
def console(session: Session, settings: Settings) -> Console:
    return build(session, settings)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> int:
    page = client.get("/console/sign-in")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    response = client.post(
        "/console/sign-in",
        data={"email": email, "password": password, "csrf": token.group(1), "next": ""},
        follow_redirects=False,
    )
    return response.status_code


def csrf_of(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def test_pages_send_the_security_headers(client: TestClient) -> None:
    response = client.get("/console/sign-in")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "<script>" not in response.text
    assert "style=" not in response.text


def test_sign_in_sets_a_safe_cookie_and_sign_out_ends_the_session(
    client: TestClient, console: Console
) -> None:
    page = client.get("/console/sign-in")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/console/sign-in",
        data={"email": console.a_officer, "password": PASSWORD, "csrf": token, "next": ""},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "dataport_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # not behind HTTPS in this test (DATAPORT_COOKIE_SECURE)
    assert client.get("/console/overview").status_code == 200
    csrf = csrf_of(client, "/console/overview")
    assert client.post("/console/sign-out", data={"csrf": csrf}).status_code == 200
    after = client.get("/console/overview", follow_redirects=False)
    assert after.status_code == 303
    assert "/console/sign-in" in after.headers["location"]


def test_secure_cookie_when_configured(
    client: TestClient, console: Console, settings: Settings
) -> None:
    settings.cookie_secure = True
    page = client.get("/console/sign-in")
    assert "Secure" in page.headers["set-cookie"]


def test_a_form_without_its_token_is_refused(client: TestClient, console: Console) -> None:
    assert sign_in(client, console.a_officer) == 303
    response = client.post("/console/assess", data={"recipient_country": "DE"})
    assert response.status_code == 403
    assert "表单已失效" in response.text
    assert "this form has expired" in response.text
    forged = client.post(
        "/console/assess",
        data={"csrf": csrf_of(client, "/console/assess")},
        headers={"Origin": "https://evil.example"},
    )
    assert forged.status_code == 403


def test_wrong_passwords_lock_the_account_for_a_while(client: TestClient, console: Console) -> None:
    for _ in range(5):
        assert sign_in(client, console.a_officer, "wrong password!!") == 401
    # Even the right password is refused now.
    assert sign_in(client, console.a_officer) == 429
    assert sign_in(client, console.b_admin) == 303


EXPORTER_PAGES = [
    "/console/overview",
    "/console/datasets",
    "/console/assess",
    "/console/applications",
    "/console/applications/new",
    "/console/evidence-requests",
    "/console/transfers",
    "/console/trace",
]
REGULATOR_PAGES = [
    "/console/supervision",
    "/console/review",
    "/console/alerts",
    "/console/spot-checks",
    "/console/rules",
    "/console/datasets",
    "/console/rules/cn-sh-lingang-general-data-list",
    "/console/transfers",
    "/console/trace",
]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_page_renders_in_both_languages(
    client: TestClient, console: Console, lang: str
) -> None:
    client.cookies.set("dataport_lang", lang, path="/console")
    assert sign_in(client, console.a_officer) == 303
    for path in [*EXPORTER_PAGES, f"/console/datasets/{console.a_dataset_id}"]:
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[-2000:])
        assert f'<html lang="{lang}">' in response.text
    client.cookies.clear()
    client.cookies.set("dataport_lang", lang, path="/console")
    assert sign_in(client, console.reviewer) == 303
    for path in [
        *REGULATOR_PAGES,
        f"/console/applications/{console.b_application_id}",
        f"/console/datasets/{console.b_dataset_id}",
    ]:
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[-2000:])
