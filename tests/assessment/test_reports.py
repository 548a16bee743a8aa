"""The self-assessment (Measures Art. 5) and the PIA (PIPL Art. 56): content, formats, finality."""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import docx
import pytest
import sqlalchemy as sa
from docx.oxml.ns import qn
from sqlalchemy.orm import Session

from dataport.assessment import rendering, service
from dataport.assessment.models import Application
from dataport.assessment.report_model import Answer, Facts, Note, Report, Table
from dataport.assessment.reports import (
    AnswersError,
    ReportFormat,
    ReportIncomplete,
    ReportKind,
    build_report,
    definitions,
    generate_report,
    load_answers,
    parse_answers,
    scan_findings,
)
from dataport.audit.models import AuditEvent
from dataport.catalog import service as catalog
from dataport.catalog import sources
from dataport.catalog.models import DatasetVersion
from dataport.config import Settings
from dataport.errors import NotFound, Unavailable
from dataport.identity.models import Role
from tests.assessment.reporting import FULL_ANSWERS, docx_text, pdf_fonts, pdf_text
from tests.factories import OPERATOR, Actor, actor, organisation

NOW = datetime(2025, 6, 3, 2, 0, tzinfo=UTC)
SCAN = {
    "columns": [
        {"name": "vin", "categories": ["vin"], "grade": "L3"},
        {"name": "owner", "categories": ["person_name"]},
        {"name": "note", "categories": []},
    ],
    "individuals": 1,
    "minors": 0,
    "dataset_grade": "L3",
}


def no_scan(session: Session, version: DatasetVersion) -> Mapping[str, Any] | None:
    return None


def with_scan(session: Session, version: DatasetVersion) -> Mapping[str, Any] | None:
    return SCAN


class Setting:
    def __init__(self, session: Session, settings: Settings, tmp_path: Path) -> None:
        exporter = organisation(
            session, "临港智行汽车", registered_zone="lingang", uscc="91310000MA1FL8XQ37"
        )
        self.recipient = organisation(session, "Rheinwerk GmbH", country="DE")
        data = tmp_path / "owners.csv"
        data.write_text("vin,owner,note\nLSVAU2180N2183294,王五,x\n", encoding="utf-8")
        spec = sources.resolve(str(data))
        inspection = catalog.read_source(OPERATOR, settings, org_id=exporter.id, spec=spec)
        self.dataset = catalog.register_dataset(
            session,
            OPERATOR,
            org=exporter,
            name="车主信息",
            spec=spec,
            inspection=inspection,
            sector="automotive",
        ).dataset
        self.officer: Actor = actor(session, exporter, Role.data_officer)
        self.outsider: Actor = actor(session, organisation(session, "Other Co"), Role.admin)
        self.application: Application = service.submit(
            session,
            self.officer.principal,
            service.Submission(
                dataset=self.dataset,
                recipient=self.recipient,
                purpose="business",
                individuals=150_000,
                fields=("vin", "owner"),
                retention="2 years",
                storage_location="Frankfurt, DE",
            ),
            on=date(2025, 6, 2),
        )


@pytest.fixture
def setting(session: Session, settings: Settings, tmp_path: Path) -> Setting:
    return Setting(session, settings, tmp_path)


def build(
    session: Session,
    setting: Setting,
    kind: ReportKind = ReportKind.self_assessment,
    answers: Mapping[str, Any] | None = None,
    *,
    draft: bool = False,
    scan: Any = no_scan,
) -> Report:
    return build_report(
        session,
        setting.application,
        kind,
        parse_answers(answers or {}),
        draft=draft,
        generated_by="tests",
        generated_at=NOW,
        scan=scan,
    )


def generate(
    session: Session,
    setting: Setting,
    kind: ReportKind,
    fmt: ReportFormat,
    answers: Mapping[str, Any] | None = None,
    *,
    draft: bool = False,
) -> Any:
    return generate_report(
        session,
        setting.officer.principal,
        setting.application.id,
        kind,
        fmt,
        parse_answers(answers or {}),
        draft=draft,
        scan=no_scan,
        now=NOW,
    )


def facts_of(report: Report, section: str) -> dict[str, Any]:
    """Pre-filled facts of a section, by English label."""
    found: dict[str, Any] = {}
    for s in report.sections:
        if s.id == section:
            for block in s.blocks:
                if isinstance(block, Facts):
                    found.update({label.en: value for label, value in block.rows})
    return found


def reports_recorded(session: Session) -> list[AuditEvent]:
    return list(
        session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "report.generated"))
    )


# -- structure -----------------------------------------------------------------------------


def test_the_self_assessment_has_the_six_items_of_measures_art_5() -> None:
    spec = definitions().reports[ReportKind.self_assessment]
    numbered = [s for s in spec.sections if s.number is not None]
    assert [s.number.en for s in numbered if s.number] == ["1", "2", "3", "4", "5", "6"]
    assert all("measures-5" in s.cite for s in numbered)
    assert all(s.answers for s in numbered)  # each item needs the exporter's own words


def test_the_pia_follows_pipl_art_56_and_marks_unconfirmed_contract_measures_items() -> None:
    defs = definitions()
    spec = defs.reports[ReportKind.pia]
    numbered = [s for s in spec.sections if s.number is not None]
    assert [s.cite[0] for s in numbered[:3]] == ["pipl-56", "pipl-56", "pipl-56"]
    # Standard Contract Measures Art. 5: only item 1 was seen in a source (reference §3).
    statuses = {key: defs.citations[key].status for s in numbered for key in s.cite}
    assert statuses["scc-5-1"] == "confirmed"
    assert {statuses[f"scc-5-{i}"] for i in range(2, 7)} == {"unconfirmed"}
    assert spec.keep_years == 3  # PIPL Art. 56: kept at least three years


# -- pre-filled content --------------------------------------------------------------------


def test_the_report_is_prefilled_from_application_decision_and_dataset(
    session: Session, setting: Setting
) -> None:
    report = build(session, setting)
    overview = facts_of(report, "overview")
    assert overview["Data exporter"] == "临港智行汽车"
    assert overview["Unified social credit code"] == "91310000MA1FL8XQ37"
    assert overview["Overseas recipient"] == "Rheinwerk GmbH"
    assert overview["Recipient's country or region"] == "DE"
    assert overview["Overseas storage location"] == "Frankfurt, DE"
    assert overview["Overseas retention period"] == "2 years"
    assert overview["Purpose of the export"].zh == "因业务等需要向境外提供"
    assert overview["Legal pathway"].en.startswith("Standard contract")
    assert "cn-national@2024.03.22" in overview["Rule packs"]
    assert facts_of(report, "legality")["Fields to be exported"] == ("vin", "owner")

    scale = facts_of(report, "scale")
    assert scale["Individuals (non-sensitive PI) in this transfer"] == "150,000"
    assert scale["Cumulative individuals (this transfer included)"] == "150,000"
    version = session.get_one(DatasetVersion, setting.application.dataset_version_id)
    assert scale["Content hash (SHA-256)"] == version.content_hash
    assert scale["Dataset"] == "车主信息"
    assert scale["Sector"].zh == "汽车与智能网联汽车"
    assert scale["Rows"] == "1"

    overview_section = next(s for s in report.sections if s.id == "overview")
    tables = {b.caption.en: b for b in overview_section.blocks if isinstance(b, Table)}
    basis = tables["Basis of the decision"].rows
    assert basis
    assert "Provisions Art. 8" in str(basis)
    obligations = tables["What the exporter must still do"].rows
    assert any("PIPL Art. 55(4)" in str(row) for row in obligations)
    scale_section = next(s for s in report.sections if s.id == "scale")
    columns = next(
        b for b in scale_section.blocks if isinstance(b, Table) and b.caption.en.startswith("Data")
    )
    assert [row[0] for row in columns.rows] == ["vin", "owner", "note"]


def test_without_a_stored_scan_the_report_says_so_and_invents_nothing(
    session: Session, setting: Setting
) -> None:
    report = build(session, setting, scan=no_scan)
    scale = next(s for s in report.sections if s.id == "scale")
    notes = [b for b in scale.blocks if isinstance(b, Note)]
    assert [n.tone for n in notes] == ["missing"]
    assert "No scan result" in notes[0].text.en
    assert not any(isinstance(b, Table) and "scan" in b.caption.en for b in scale.blocks)


def test_a_stored_scan_puts_its_findings_in_the_report(session: Session, setting: Setting) -> None:
    report = build(session, setting, ReportKind.pia, scan=with_scan)
    impact = next(s for s in report.sections if s.id == "impact")
    assert not any(isinstance(b, Note) for b in impact.blocks)
    findings = next(
        b for b in impact.blocks if isinstance(b, Table) and b.caption.en == "Findings by column"
    )
    assert findings.rows[0] == ("vin", "vin", "L3")
    assert findings.rows[1][:2] == ("owner", "person_name")
    assert findings.rows[2][1].en == "none found"  # type: ignore[union-attr]
    summary = facts_of(report, "impact")
    assert summary["Dataset grade"] == "L3"
    assert summary["Estimated distinct individuals"] == "1"


def test_scan_findings_read_the_scan_contract() -> None:
    found = scan_findings({"columns": [{"name": "id", "categories": ["cn_resident_id"]}]})
    assert found.columns[0].categories == ("cn_resident_id",)
    assert (found.individuals, found.dataset_grade) == (None, None)
    nested = scan_findings({"columns": [], "individuals": {"estimate": 12, "minors": 3}})
    assert (nested.individuals, nested.minors) == (12, 3)


# -- finality ------------------------------------------------------------------------------


def test_finalising_with_an_empty_section_fails_and_names_every_one(
    session: Session, setting: Setting
) -> None:
    partial = {
        k: v for k, v in FULL_ANSWERS.items() if k not in ("legal_documents", "recipient_measures")
    }
    with pytest.raises(ReportIncomplete) as raised:
        generate(session, setting, ReportKind.self_assessment, ReportFormat.html, partial)
    error = raised.value
    assert error.exit_code == 2
    assert error.http_status == 422
    assert "3. The overseas recipient's obligations and capabilities (recipient_measures)" in (
        error.en
    )
    assert "5. Data-security duties in the legal documents (legal_documents)" in error.en
    assert "五、法律文件对数据安全保护责任义务的约定" in error.zh
    assert [s["id"] for s in error.details["sections"]] == ["recipient", "legal_documents"]
    assert reports_recorded(session) == []


def test_with_no_answers_every_numbered_section_is_named(
    session: Session, setting: Setting
) -> None:
    with pytest.raises(ReportIncomplete) as raised:
        generate(session, setting, ReportKind.pia, ReportFormat.html)
    ids = [s["id"] for s in raised.value.details["sections"]]
    assert ids == ["lawfulness", "impact", "measures", "recipient", "risks", "foreign_law", "other"]


def test_a_blank_answer_counts_as_empty(session: Session, setting: Setting) -> None:
    blank = {**FULL_ANSWERS, "other_matters": "  \n "}
    with pytest.raises(ReportIncomplete, match="other_matters"):
        generate(session, setting, ReportKind.self_assessment, ReportFormat.html, blank)


def test_a_draft_renders_with_empty_sections_marked_and_is_not_recorded(
    session: Session, setting: Setting
) -> None:
    rendered = generate(session, setting, ReportKind.self_assessment, ReportFormat.html, draft=True)
    html = rendered.content.decode("utf-8")
    assert rendered.draft
    assert rendered.filename.startswith("DRAFT-self-assessment-")
    assert 'class="watermark"' in html
    assert "草稿 DRAFT" in html
    # Nine parts the six items need, and the optional conclusion, offered in a draft.
    assert html.count('class="todo"') == 10
    assert "待补充" in html
    assert "To be completed" in html
    assert "answers-file key: recipient_measures" in html
    assert set(rendered.incomplete) == {
        "legality",
        "scale",
        "recipient",
        "risks",
        "legal_documents",
        "other",
    }
    assert reports_recorded(session) == []


def test_a_final_report_is_recorded_in_the_audit_trail_by_its_hash(
    session: Session, setting: Setting
) -> None:
    rendered = generate(
        session, setting, ReportKind.self_assessment, ReportFormat.html, FULL_ANSWERS
    )
    assert not rendered.draft
    assert rendered.incomplete == ()
    html = rendered.content.decode("utf-8")
    assert 'class="watermark"' not in html
    assert 'class="todo"' not in html
    [event] = reports_recorded(session)
    assert event.details["sha256"] == hashlib.sha256(rendered.content).hexdigest()
    assert event.details["sha256"] == rendered.sha256
    assert event.details["kind"] == "self-assessment"
    assert event.details["format"] == "html"
    assert event.details["application"] == str(setting.application.id)
    assert event.org_id == setting.application.org_id
    assert event.target_id == str(setting.application.id)


def test_another_organisation_cannot_render_the_report(session: Session, setting: Setting) -> None:
    with pytest.raises(NotFound):
        generate_report(
            session,
            setting.outsider.principal,
            setting.application.id,
            ReportKind.pia,
            ReportFormat.html,
            {},
            draft=True,
            scan=no_scan,
        )
    with pytest.raises(NotFound):
        generate_report(
            session,
            setting.officer.principal,
            uuid.uuid4(),
            ReportKind.pia,
            ReportFormat.html,
            {},
            draft=True,
            scan=no_scan,
        )


# -- formats -------------------------------------------------------------------------------


def test_html_is_bilingual_self_contained_and_escapes_answers(
    session: Session, setting: Setting
) -> None:
    answers = {**FULL_ANSWERS, "other_matters": "<script>alert(1)</script> 无"}
    html = rendering.render_html(build(session, setting, answers=answers))
    assert html.index("数据出境风险自评估报告") < html.index("Data-export risk self-assessment")
    assert "一、数据出境活动的合法性、正当性和必要性" in html
    assert "1. Lawfulness, legitimacy and necessity of the export" in html
    assert "德国母公司开展车辆售后质量分析" in html
    assert "&lt;script&gt;" in html
    assert "<script>" not in html
    assert "<link" not in html
    assert "src=" not in html
    assert "url(" not in html
    assert "Noto Serif CJK SC" in html  # the report names its fonts


def test_pdf_embeds_the_cjk_font_and_its_chinese_is_text(
    session: Session, setting: Setting
) -> None:
    rendered = generate(session, setting, ReportKind.pia, ReportFormat.pdf, FULL_ANSWERS)
    assert rendered.content.startswith(b"%PDF-")
    assert rendered.media_type == "application/pdf"
    # Base font names read like "/ABCDEF+Noto-Serif-CJK-SC" (a subset of the named font).
    fonts = {name.replace("-", "") for name in pdf_fonts(rendered.content)}
    assert any(name.endswith("+NotoSerifCJKSC") for name in fonts), fonts
    assert any("+NotoSansCJKSC" in name for name in fonts), fonts
    text = pdf_text(rendered.content)
    assert "个人信息保护影响评估报告" in text
    assert "Personal information protection impact assessment report" in text
    assert "Noto Serif CJK SC" in text  # the colophon states the font


def test_a_draft_pdf_carries_the_watermark_and_the_marks(
    session: Session, setting: Setting
) -> None:
    rendered = generate(session, setting, ReportKind.self_assessment, ReportFormat.pdf, draft=True)
    text = pdf_text(rendered.content)
    assert "草稿" in text
    assert "DRAFT" in text
    assert "待补充" in text
    assert "To be completed" in text


def test_the_pdf_is_refused_when_its_font_is_missing(session: Session, setting: Setting) -> None:
    report = replace(build(session, setting, draft=True), fonts=("No Such Font SC", "Nor This"))
    with pytest.raises(Unavailable, match="No Such Font SC"):
        rendering.render_pdf(report)


def test_docx_has_the_sections_and_the_prefilled_values(session: Session, setting: Setting) -> None:
    rendered = generate(session, setting, ReportKind.pia, ReportFormat.docx, FULL_ANSWERS)
    assert rendered.content.startswith(b"PK")
    headings, text = docx_text(rendered.content)
    assert headings[0].startswith("基本情况")
    assert any(h.startswith("一、处理目的、处理方式的合法性、正当性和必要性") for h in headings)
    assert any(h.startswith("六、境外接收方所在国家或者地区政策法规的影响") for h in headings)
    assert any("Overview" in h for h in headings)
    for value in ("Rheinwerk GmbH", "Frankfurt, DE", "150,000", "车主信息", "PIPL Art. 56"):
        assert value in text, value
    assert "德国适用欧盟《通用数据保护条例》" in text  # an answer
    assert "未经官方文本核实" in text  # unconfirmed items are marked
    document = docx.Document(io.BytesIO(rendered.content))
    fonts = document.styles["Normal"].element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "Noto Serif CJK SC"
    assert "DRAFT" not in text


def test_a_draft_docx_has_the_watermark_and_marks_the_gaps(
    session: Session, setting: Setting
) -> None:
    rendered = generate(session, setting, ReportKind.pia, ReportFormat.docx, draft=True)
    _, text = docx_text(rendered.content)
    document = docx.Document(io.BytesIO(rendered.content))
    header_xml = document.sections[0].header._element.xml
    assert "textpath" in header_xml
    assert "草稿 DRAFT" in header_xml
    assert "待补充 · To be completed" in text
    assert "answers-file key: foreign_law" in text


# -- answers -------------------------------------------------------------------------------


def test_answers_take_text_lists_and_both_languages() -> None:
    answers = parse_answers(
        {
            "other_matters": "一\n\n二",
            "legal_documents": ["甲", "乙"],
            "foreign_law": {"zh": "中文", "en": "English"},
            "conclusion": None,
        }
    )
    assert [p.text for p in answers["other_matters"]] == ["一", "二"]
    assert [p.text for p in answers["legal_documents"]] == ["甲", "乙"]
    assert [(p.text, p.lang) for p in answers["foreign_law"]] == [
        ("中文", "zh-CN"),
        ("English", "en"),
    ]
    assert "conclusion" not in answers  # null is not yet answered


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"recipent_measures": "x"}, "recipent_measures", "did you mean 'recipient_measures'"),
        ({"other_matters": 3}, "other_matters", "got a number"),
        ({"other_matters": date(2025, 1, 1)}, "other_matters", "got a date"),
        ({"other_matters": False}, "other_matters", "yes/no"),
        ({"legal_documents": ["ok", {"a": 1}]}, "legal_documents[1]", "got a mapping"),
        ({"foreign_law": {"de": "x"}}, "foreign_law.de", "only 'zh' and 'en'"),
        (["a list"], "answers", "must be a mapping"),
        ({"other_matters": "x" * 50_001}, "other_matters", "longer than"),
    ],
)
def test_bad_answers_name_the_key(data: Any, field: str, words: str) -> None:
    with pytest.raises(AnswersError) as raised:
        parse_answers(data, "answers.yaml")
    assert raised.value.field == field
    assert words in raised.value.en
    assert raised.value.exit_code == 2


def test_answers_files_errors_name_the_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "answers.yaml"
    broken.write_text("other_matters: 无\n  bad: [\n", encoding="utf-8")
    with pytest.raises(AnswersError, match=r"answers\.yaml is not valid YAML at line \d"):
        load_answers(broken)
    with pytest.raises(AnswersError, match="no such file"):
        load_answers(tmp_path / "missing.yaml")
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("conclusion: ok\nrisk: high\n", encoding="utf-8")
    with pytest.raises(AnswersError, match="unknown key 'risk'") as raised:
        load_answers(unknown)
    assert raised.value.field == "risk"
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    assert load_answers(empty) == {}


def test_every_answer_key_is_used_by_a_report() -> None:
    defs = definitions()
    used = {"prepared_by"} | {
        key
        for report in defs.reports.values()
        for section in report.sections
        for key in (*section.answers, *section.optional)
    }
    assert used == set(defs.answers)


def test_an_optional_part_is_shown_only_when_written(session: Session, setting: Setting) -> None:
    without = build(
        session, setting, answers={k: v for k, v in FULL_ANSWERS.items() if k != "conclusion"}
    )
    assert "conclusion" not in [s.id for s in without.sections]
    written = build(session, setting, answers=FULL_ANSWERS)
    conclusion = next(s for s in written.sections if s.id == "conclusion")
    [answer] = [b for b in conclusion.blocks if isinstance(b, Answer)]
    assert answer.paragraphs[0].text == "经评估，本次数据出境风险可控。"
    assert written.prepared_by[0].text.startswith("张敏")
