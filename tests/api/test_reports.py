"""Reports through the API: the file and its media type, refusal to finalise, the audit record."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import World
from tests.assessment.reporting import FULL_ANSWERS, docx_text, pdf_fonts

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def url(world: World, kind: str, query: str = "") -> str:
    return f"/v1/applications/{world.b_application_id}/reports/{kind}{query}"


def test_a_draft_is_served_as_html(client: TestClient, world: World) -> None:
    response = client.get(
        url(world, "self-assessment", "?format=html&draft=true"), headers=world.b_admin.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["x-report-draft"] == "true"
    assert response.headers["x-report-sha256"] == hashlib.sha256(response.content).hexdigest()
    assert "DRAFT-self-assessment-" in response.headers["content-disposition"]
    assert "草稿 DRAFT" in response.text
    assert "Munich, DE" in response.text  # pre-filled from the application


def test_a_final_report_without_its_narrative_is_422_naming_the_sections(
    client: TestClient, world: World
) -> None:
    response = client.get(url(world, "pia", "?format=pdf"), headers=world.b_admin.headers)
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "report_incomplete"
    assert problem["field"] == "answers"
    sections = [s["id"] for s in problem["details"]["sections"]]
    assert sections == [
        "lawfulness",
        "impact",
        "measures",
        "recipient",
        "risks",
        "foreign_law",
        "other",
    ]
    assert "7. Other matters" in problem["detail"]


def test_a_final_docx_from_posted_answers_is_recorded(client: TestClient, world: World) -> None:
    response = client.post(
        url(world, "pia", "?format=docx"), json=FULL_ANSWERS, headers=world.b_admin.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == DOCX
    assert response.headers["x-report-draft"] == "false"
    digest = hashlib.sha256(response.content).hexdigest()
    assert response.headers["x-report-sha256"] == digest
    assert (
        f'filename="pia-{world.b_application_id}.docx"' in (response.headers["content-disposition"])
    )
    headings, text = docx_text(response.content)
    assert any(h.startswith("三、保护措施的合法性、有效性及与风险程度的相适应性") for h in headings)
    assert "Gamma Analytics GmbH" in text
    events = client.get("/v1/audit", headers=world.b_admin.headers).json()
    [event] = [e for e in events if e["action"] == "report.generated"]
    assert event["details"]["sha256"] == digest
    assert event["details"]["kind"] == "pia"
    assert event["details"]["format"] == "docx"
    assert event["details"]["application"] == world.b_application_id


def test_a_pdf_is_served_with_its_media_type(client: TestClient, world: World) -> None:
    response = client.post(
        url(world, "self-assessment", "?format=pdf"),
        json=FULL_ANSWERS,
        headers=world.b_admin.headers,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert any("Noto-Sans-CJK-SC" in name for name in pdf_fonts(response.content))


def test_bad_answers_name_the_key(client: TestClient, world: World) -> None:
    response = client.post(
        url(world, "pia", "?format=html"),
        json={**FULL_ANSWERS, "foreign_laws": "x"},
        headers=world.b_admin.headers,
    )
    assert response.status_code == 422
    assert response.json()["field"] == "foreign_laws"
    response = client.post(
        url(world, "pia", "?format=html"),
        json={"other_matters": 42},
        headers=world.b_admin.headers,
    )
    assert response.status_code == 422
    assert response.json()["field"] == "other_matters"


@pytest.mark.parametrize("query", ["?format=odt", "?draft=perhaps"])
def test_bad_query_values_are_422(client: TestClient, world: World, query: str) -> None:
    response = client.get(url(world, "pia", query), headers=world.b_admin.headers)
    assert response.status_code == 422


def test_an_unknown_kind_is_422(client: TestClient, world: World) -> None:
    response = client.get(url(world, quote("dpia")), headers=world.b_admin.headers)
    assert response.status_code == 422


def test_another_company_gets_404_and_a_regulator_may_read(
    client: TestClient, world: World
) -> None:
    for method, body in (("GET", None), ("POST", FULL_ANSWERS)):
        response = client.request(
            method,
            url(world, "pia", "?format=html&draft=true"),
            json=body,
            headers=world.a_admin.headers,
        )
        assert response.status_code == 404, (method, response.text)
        assert "Munich" not in response.text
    response = client.get(
        url(world, "pia", "?format=html&draft=true"), headers=world.regulator.headers
    )
    assert response.status_code == 200
