"""``dataport report``: render, refuse to finalise, draft, and record by hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.assessment.reporting import FULL_ANSWERS, docx_text, pdf_fonts
from tests.cli import test_application as applications
from tests.conftest import CliResult

Cli = Callable[..., CliResult]


@pytest.fixture
def application_id(cli: Cli, tmp_path: Path) -> str:
    applications.setup(cli, tmp_path)
    submitted = applications.submit(
        cli, "--individuals", "150000", "--on", "2025-06-02", "--format", "json"
    )
    assert submitted.code == 0, submitted.err
    return str(json.loads(submitted.out)["id"])


def write_answers(tmp_path: Path, answers: dict[str, object]) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(answers, allow_unicode=True), encoding="utf-8")
    return path


def recorded(cli: Cli) -> list[dict[str, object]]:
    events = json.loads(cli("audit", "list", "--format", "json").out)
    return [e for e in events if e["action"] == "report.generated"]


def test_a_final_docx_is_written_and_recorded_by_its_hash(
    cli: Cli, application_id: str, tmp_path: Path
) -> None:
    answers = write_answers(tmp_path, FULL_ANSWERS)
    out = tmp_path / "sa.docx"
    result = cli(
        "report",
        "self-assessment",
        application_id,
        "--answers",
        str(answers),
        "--format",
        "docx",
        "--output",
        str(out),
    )
    assert result.code == 0, result.err
    content = out.read_bytes()
    digest = hashlib.sha256(content).hexdigest()
    assert f"sha256 {digest}" in result.out
    assert "recorded in the audit trail" in result.out
    headings, text = docx_text(content)
    assert any(h.startswith("五、法律文件对数据安全保护责任义务的约定") for h in headings)
    assert "Rheinwerk GmbH" in text
    assert "150,000" in text
    [event] = recorded(cli)
    assert event["details"] == {
        "kind": "self-assessment",
        "format": "docx",
        "sha256": digest,
        "application": application_id,
        "dataset_version": event["details"]["dataset_version"],  # type: ignore[index]
        "bytes": len(content),
    }


def test_finalising_an_incomplete_report_exits_2_naming_the_sections(
    cli: Cli, application_id: str, tmp_path: Path
) -> None:
    partial = {k: v for k, v in FULL_ANSWERS.items() if k != "foreign_law"}
    out = tmp_path / "pia.pdf"
    result = cli(
        "report",
        "pia",
        application_id,
        "--answers",
        str(write_answers(tmp_path, partial)),
        "--output",
        str(out),
    )
    assert result.code == 2
    assert "cannot be finalised" in result.err
    assert "6. Effect of the recipient country's laws and policies (foreign_law)" in result.err
    assert not out.exists()
    assert recorded(cli) == []


def test_a_draft_pdf_is_written_to_the_default_path_and_not_recorded(
    cli: Cli, application_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("report", "pia", application_id, "--draft")
    assert result.code == 0, result.err
    path = tmp_path / f"DRAFT-pia-{application_id}.pdf"
    content = path.read_bytes()
    assert content.startswith(b"%PDF-")
    assert any("Noto-Serif-CJK-SC" in name for name in pdf_fonts(content))
    assert "draft: not recorded" in result.out
    assert "foreign_law" in result.out
    assert recorded(cli) == []


def test_an_answers_file_with_an_unknown_key_names_it(
    cli: Cli, application_id: str, tmp_path: Path
) -> None:
    answers = write_answers(tmp_path, {**FULL_ANSWERS, "recipient_measure": "typo"})
    result = cli("report", "self-assessment", application_id, "--answers", str(answers))
    assert result.code == 2
    assert "unknown key 'recipient_measure'" in result.err
    assert "did you mean 'recipient_measures'" in result.err


def test_a_bad_or_unknown_application_id(cli: Cli, application_id: str) -> None:
    assert cli("report", "pia", "not-an-id", "--draft").code == 2
    missing = cli("report", "pia", "00000000-0000-4000-8000-000000000000", "--draft")
    assert missing.code == 4
    assert "no such application" in missing.err


def test_the_report_speaks_chinese_when_asked(
    cli: Cli, application_id: str, tmp_path: Path
) -> None:
    result = cli(
        "--lang",
        "zh-CN",
        "report",
        "self-assessment",
        application_id,
        "--format",
        "html",
        "--output",
        str(tmp_path / "sa.html"),
    )
    assert result.code == 2
    assert "数据出境风险自评估报告无法定稿" in result.err
