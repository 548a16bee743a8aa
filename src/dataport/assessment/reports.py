"""The data-export risk self-assessment and the PI protection impact assessment of an application.

Sections, statutory items and labels are data (``templates/reports.yaml``). dataport fills in
what it knows — the application, the rules decision stored with it, the dataset version and
its scan — and a person writes the rest in an answers file (docs/reports.md). A report is
final only when every required section is written; a final report is recorded in the audit
trail by its SHA-256.
"""

from __future__ import annotations

import difflib
import enum
import hashlib
import importlib
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal, cast

import yaml
from pydantic import BaseModel, ConfigDict, model_validator
from sqlalchemy.orm import Session

from dataport.assessment import calendar, rendering
from dataport.assessment.models import Application
from dataport.assessment.report_model import (
    Answer,
    Block,
    Cell,
    Citation,
    Facts,
    Label,
    Note,
    Paragraph,
    Report,
    Section,
    Table,
)
from dataport.assessment.service import get_application
from dataport.audit.service import record
from dataport.catalog.models import Dataset, DatasetVersion
from dataport.catalog.service import sectors
from dataport.errors import InvalidInput
from dataport.identity.authz import Principal
from dataport.identity.models import Organisation
from dataport.rules.pack import Text
from dataport.rules.schemas import CitationOut, Decision
from dataport.yamlfile import read_yaml


class ReportKind(enum.StrEnum):
    self_assessment = "self-assessment"
    pia = "pia"


class ReportFormat(enum.StrEnum):
    html = "html"
    pdf = "pdf"
    docx = "docx"


MEDIA_TYPES = {
    ReportFormat.html: "text/html; charset=utf-8",
    ReportFormat.pdf: "application/pdf",
    ReportFormat.docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

#: An answers file larger than this is refused before it is parsed.
MAX_ANSWERS_BYTES = 1_000_000
#: Characters one answer may hold.
MAX_ANSWER_CHARS = 50_000


# -- the definitions file ------------------------------------------------------------------

Prefill = Literal[
    "exporter",
    "transfer",
    "decision",
    "obligations",
    "purpose",
    "fields",
    "scale",
    "dataset",
    "columns",
    "scan",
    "recipient",
    "recipient_country",
    "legal_minimum",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CitationDef(_Strict):
    ref: Text
    status: Literal["confirmed", "unconfirmed"]


class SectionDef(_Strict):
    id: str
    number: Text | None = None
    heading: Text
    requirement: Text | None = None
    cite: list[str] = []
    prefill: list[Prefill] = []
    #: Answers the section needs before the report can be final.
    answers: list[str] = []
    #: Answers shown when given.
    optional: list[str] = []


class ReportDef(_Strict):
    title: Text
    basis: Text
    cite: list[str]
    keep_years: int | None = None
    keep_cite: str | None = None
    sections: list[SectionDef]


class Fonts(_Strict):
    body: str
    heading: str
    package: str


class Definitions(_Strict):
    version: str
    fonts: Fonts
    citations: dict[str, CitationDef]
    answers: dict[str, Text]
    legal_minimum: list[Text]
    reports: dict[ReportKind, ReportDef]
    labels: dict[str, Text]
    values: dict[str, dict[str, Text]]

    @model_validator(mode="after")
    def _references_exist(self) -> Definitions:
        for kind, report in self.reports.items():
            cites = [*report.cite, *([report.keep_cite] if report.keep_cite else [])]
            for section in report.sections:
                cites += section.cite
                for key in (*section.answers, *section.optional):
                    if key not in self.answers:
                        raise ValueError(f"{kind}.{section.id}: unknown answer {key!r}")
            for key in cites:
                if key not in self.citations:
                    raise ValueError(f"{kind}: unknown citation {key!r}")
        return self


@cache
def definitions() -> Definitions:
    """The shipped report definitions, validated once."""
    text = (files("dataport.assessment") / "templates" / "reports.yaml").read_text("utf-8")
    return Definitions.model_validate(yaml.safe_load(text))


def _label(text: Text) -> Label:
    return Label(text.zh, text.en)


# -- answers -------------------------------------------------------------------------------

#: What a person wrote, by answer key: paragraphs, in the order written.
Answers = Mapping[str, tuple[Paragraph, ...]]


class AnswersError(InvalidInput):
    code = "invalid_answers"


def load_answers(path: Path) -> Answers:
    """Read an answers YAML file; an error names the file and the key at fault."""
    if path.is_file() and path.stat().st_size > MAX_ANSWERS_BYTES:
        raise AnswersError(
            f"{path} is larger than {MAX_ANSWERS_BYTES:,} bytes: is it the right file?",
            f"{path} 超过 {MAX_ANSWERS_BYTES:,} 字节，请确认文件是否正确",
            field="answers",
        )
    data = read_yaml(path, field="answers", error=AnswersError)
    return parse_answers(data, str(path))


def parse_answers(data: Any, source: str = "answers") -> Answers:
    """Validate an answers mapping (from YAML or a JSON request body)."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise AnswersError(
            f"{source}: the answers must be a mapping of keys to text (see docs/reports.md)",
            f"{source}：答复文件须为键到文本的映射（见 docs/reports.md）",
            field="answers",
        )
    known = definitions().answers
    answers: dict[str, tuple[Paragraph, ...]] = {}
    for key, value in data.items():
        if not isinstance(key, str) or key not in known:
            close = difflib.get_close_matches(str(key), list(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            hint_zh = f"（是否应为 {close[0]!r}？）" if close else ""
            raise AnswersError(
                f"{source}: unknown key {key!r}{hint}; known keys: {', '.join(known)}",
                f"{source}：未知的键 {key!r}{hint_zh}；可用的键：{', '.join(known)}",
                field=str(key),
            )
        paragraphs = _narrative(value, key, source)
        if paragraphs:
            answers[key] = paragraphs
    return answers


def _narrative(value: Any, key: str, source: str) -> tuple[Paragraph, ...]:
    """Text, a list of paragraphs, or ``{zh: ..., en: ...}``; None or blank is unanswered."""
    if isinstance(value, dict):
        paragraphs: list[Paragraph] = []
        for lang, text in value.items():
            if lang not in ("zh", "en"):
                raise AnswersError(
                    f"{source}: {key}.{lang}: only 'zh' and 'en' may stand under an answer",
                    f"{source}：{key}.{lang}：答复下只能使用 zh 和 en",
                    field=f"{key}.{lang}",
                )
            tag = "zh-CN" if lang == "zh" else "en"
            paragraphs += _paragraphs(text, f"{key}.{lang}", source, tag)
        return tuple(paragraphs)
    return tuple(_paragraphs(value, key, source, None))


#: How YAML values that are not text are named in an error.
_KINDS: dict[type, str] = {
    bool: "yes/no",
    int: "a number",
    float: "a number",
    dict: "a mapping",
    list: "a list",
    date: "a date",
    datetime: "a date and time",
}


def _paragraphs(value: Any, key: str, source: str, lang: str | None) -> list[Paragraph]:
    if value is None:
        return []
    items: list[Any] = value if isinstance(value, list) else [value]
    texts: list[str] = []
    for i, item in enumerate(items):
        where = f"{key}[{i}]" if isinstance(value, list) else key
        if not isinstance(item, str):
            kind = _KINDS.get(type(item), type(item).__name__)
            raise AnswersError(
                f"{source}: {where}: expected text, a list of paragraphs, or {{zh: ..., en: ...}}, "
                f"got {kind} (quote it to write it as text)",
                f"{source}：{where}：应为文本、段落列表或 {{zh: ..., en: ...}}，实际为 {kind}"
                "（如为文本请加引号）",
                field=where,
            )
        texts.append(item)
    if sum(len(t) for t in texts) > MAX_ANSWER_CHARS:
        raise AnswersError(
            f"{source}: {key}: longer than {MAX_ANSWER_CHARS:,} characters",
            f"{source}：{key}：超过 {MAX_ANSWER_CHARS:,} 个字符",
            field=key,
        )
    return [
        Paragraph(line.strip(), lang)
        for text in texts
        for line in text.splitlines()
        if line.strip()
    ]


# -- the scan of the dataset version ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ColumnFinding:
    name: str
    categories: tuple[str, ...]
    grade: str | None


@dataclass(frozen=True, slots=True)
class ScanFindings:
    """What the classification scan found, read from its stable JSON contract."""

    columns: tuple[ColumnFinding, ...]
    individuals: int | None
    minors: int | None
    sensitive: bool | None
    dataset_grade: str | None


#: Finds the scan result stored with a dataset version (the scan's JSON contract), if any.
ScanLookup = Callable[[Session, DatasetVersion], Mapping[str, Any] | None]


def stored_scan(session: Session, version: DatasetVersion) -> Mapping[str, Any] | None:
    """The scan result the classification domain keeps for ``version``, or None.

    The classification domain offers ``classify.service.stored_scan(session, version_id)``
    returning the scan's JSON contract; until it does, there is no stored scan.
    """
    try:
        module = importlib.import_module("dataport.classify.service")
    except ModuleNotFoundError as exc:
        if exc.name != "dataport.classify.service":
            raise
        return None
    lookup = getattr(module, "stored_scan", None)
    if not callable(lookup):
        return None
    return cast(Mapping[str, Any] | None, lookup(session, version.id))


def scan_findings(result: Mapping[str, Any]) -> ScanFindings:
    """Read a scan result: ``columns`` (each ``name`` and ``categories``), ``individuals``,
    ``dataset_grade``, and where present ``minors`` and ``sensitive``."""
    columns = result.get("columns")
    if not isinstance(columns, list):
        raise InvalidInput(
            "the stored scan result has no list of columns",
            "已存储的扫描结果缺少列清单",
            field="scan.columns",
        )
    found = []
    for column in columns:
        if not isinstance(column, Mapping) or "name" not in column:
            raise InvalidInput(
                "a column of the stored scan result has no name",
                "已存储的扫描结果中有列缺少名称",
                field="scan.columns",
            )
        grade = column.get("grade")
        found.append(
            ColumnFinding(
                name=str(column["name"]),
                categories=tuple(str(c) for c in column.get("categories") or ()),
                grade=None if grade is None else str(grade),
            )
        )
    individuals = result.get("individuals")
    minors = result.get("minors")
    if isinstance(individuals, Mapping):
        minors = individuals.get("minors", minors)
        individuals = individuals.get("estimate", individuals.get("count"))
    sensitive = result.get("sensitive", result.get("contains_sensitive"))
    grade = result.get("dataset_grade")
    return ScanFindings(
        columns=tuple(found),
        individuals=int(individuals) if isinstance(individuals, int | float) else None,
        minors=int(minors) if isinstance(minors, int | float) else None,
        sensitive=sensitive if isinstance(sensitive, bool) else None,
        dataset_grade=None if grade is None else str(grade),
    )


# -- building a report ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    """Everything dataport knows about an application, for the pre-filled parts."""

    defs: Definitions
    application: Application
    decision: Decision
    exporter: Organisation
    recipient: Organisation
    dataset: Dataset
    version: DatasetVersion
    scan: ScanFindings | None

    def label(self, key: str) -> Label:
        return _label(self.defs.labels[key])

    def value(self, vocabulary: str, key: str) -> Label | str:
        found = self.defs.values.get(vocabulary, {}).get(key)
        return _label(found) if found else key

    def yes_no(self, flag: bool) -> Label:
        return self.label("yes" if flag else "no")


#: A slash followed by a space parts the two languages ("GB/T" has none after its slash).
_REF_SEPARATOR = re.compile(r"\s*/\s+")


def _bilingual_ref(ref: str) -> Label | str:
    """Rule-pack references read ``中文 / English``; show them in both languages."""
    parts = _REF_SEPARATOR.split(ref, maxsplit=1)
    return Label(parts[0].strip(), parts[1].strip()) if len(parts) == 2 else ref


def _citation_lines(facts: _Facts, citations: Sequence[CitationOut]) -> tuple[str | Label, ...]:
    lines: list[str | Label] = []
    for citation in citations:
        ref = _bilingual_ref(citation.ref)
        if citation.status != "confirmed":
            status = facts.value("status", citation.status)
            zh_status = status.zh if isinstance(status, Label) else status
            en_status = status.en if isinstance(status, Label) else status
            ref = (
                Label(f"{ref.zh}（{zh_status}）", f"{ref.en} ({en_status})")
                if isinstance(ref, Label)
                else f"{ref} ({en_status})"
            )
        lines.append(ref)
    return tuple(lines)


def _count(n: int) -> str:
    return f"{n:,}"


def _prefill_exporter(f: _Facts) -> tuple[Block, ...]:
    rows: list[tuple[Label, Cell]] = [(f.label("exporter"), f.exporter.name)]
    if f.exporter.uscc:
        rows.append((f.label("uscc"), f.exporter.uscc))
    zone = f.exporter.registered_zone
    rows.append((f.label("registered_zone"), zone if zone else f.label("none")))
    rows.append((f.label("ciio"), f.yes_no(f.exporter.ciio)))
    return (Facts(tuple(rows), f.label("group_exporter")),)


def _prefill_transfer(f: _Facts) -> tuple[Block, ...]:
    a = f.application
    rows: list[tuple[Label, Cell]] = [
        (f.label("application"), str(a.id)),
        (f.label("application_kind"), f.value("application_kind", str(a.kind))),
        (f.label("application_status"), f.value("application_status", str(a.status))),
        (f.label("received_on"), a.received_on.isoformat()),
        (f.label("recipient"), f.recipient.name),
        (f.label("recipient_country"), a.recipient_country),
        (f.label("purpose"), f.value("purpose", a.purpose)),
        (f.label("storage_location"), a.storage_location),
        (f.label("retention"), a.retention),
    ]
    if a.contract_effective_on:
        rows.append((f.label("contract_effective_on"), a.contract_effective_on.isoformat()))
    return (Facts(tuple(rows), f.label("group_transfer")),)


def _prefill_decision(f: _Facts) -> tuple[Block, ...]:
    d = f.decision
    facts = Facts(
        (
            (f.label("pathway"), Label(d.pathway_label.zh, d.pathway_label.en)),
            (f.label("as_of"), d.as_of.isoformat()),
            (f.label("packs"), tuple(d.packs)),
        ),
        f.label("group_decision"),
    )
    basis = Table(
        caption=f.label("basis"),
        header=(f.label("rule"), f.label("citation")),
        rows=tuple(
            (Label(item.title.zh, item.title.en), _citation_lines(f, item.citations))
            for item in d.basis
        ),
        empty=f.label("none"),
    )
    return (facts, basis)


def _prefill_obligations(f: _Facts) -> tuple[Block, ...]:
    return (
        Table(
            caption=f.label("obligations"),
            header=(f.label("obligation"), f.label("citation")),
            rows=tuple(
                (Label(o.text.zh, o.text.en), _citation_lines(f, o.citations))
                for o in f.decision.obligations
            ),
            empty=f.label("none"),
        ),
    )


def _prefill_purpose(f: _Facts) -> tuple[Block, ...]:
    return (Facts(((f.label("purpose"), f.value("purpose", f.application.purpose)),)),)


def _prefill_fields(f: _Facts) -> tuple[Block, ...]:
    fields = f.application.fields
    cell: Cell = tuple(fields) if fields else f.label("no_fields")
    return (Facts(((f.label("fields"), cell),)),)


def _prefill_scale(f: _Facts) -> tuple[Block, ...]:
    a, c = f.application, f.decision.cumulative
    window = f.value("window", c.window)
    window_cell: Cell = (window, f"{c.window_from.isoformat()} – {c.window_to.isoformat()}")
    return (
        Facts(
            (
                (f.label("individuals"), _count(a.individuals)),
                (f.label("sensitive_individuals"), _count(a.sensitive_individuals)),
                (f.label("important_data"), f.yes_no(a.important_data)),
                (f.label("cumulative_individuals"), _count(c.individuals)),
                (f.label("cumulative_sensitive"), _count(c.sensitive_individuals)),
                (f.label("window"), window_cell),
            ),
            f.label("group_scale"),
        ),
    )


def _prefill_dataset(f: _Facts) -> tuple[Block, ...]:
    ds, v = f.dataset, f.version
    sector = sectors().get(ds.sector)
    rows: list[tuple[Label, Cell]] = [
        (f.label("dataset"), ds.name),
        (f.label("sector"), Label(sector["zh"], sector["en"]) if sector else ds.sector),
        (f.label("zone"), f.value("zone", str(ds.zone))),
        (f.label("version"), str(v.number)),
        (f.label("rows"), _count(v.row_count)),
    ]
    if v.byte_size is not None:
        rows.append((f.label("bytes"), _count(v.byte_size)))
    rows.append((f.label("content_hash"), v.content_hash))
    return (Facts(tuple(rows), f.label("group_dataset")),)


def _prefill_columns(f: _Facts) -> tuple[Block, ...]:
    return (
        Table(
            caption=f.label("columns"),
            header=(f.label("column"), f.label("type")),
            rows=tuple((str(c.get("name", "")), str(c.get("type", ""))) for c in f.version.columns),
            empty=f.label("none"),
        ),
    )


def _prefill_scan(f: _Facts) -> tuple[Block, ...]:
    scan = f.scan
    if scan is None:
        return (Note(f.label("scan_missing"), tone="missing"),)
    rows: list[tuple[Label, Cell]] = []
    if scan.dataset_grade is not None:
        rows.append((f.label("dataset_grade"), scan.dataset_grade))
    if scan.individuals is not None:
        rows.append((f.label("scan_individuals"), _count(scan.individuals)))
    if scan.minors is not None:
        rows.append((f.label("minors"), _count(scan.minors)))
    if scan.sensitive is not None:
        rows.append((f.label("contains_sensitive"), f.yes_no(scan.sensitive)))
    none_found = f.label("none_found")
    table = Table(
        caption=f.label("scan_columns"),
        header=(f.label("column"), f.label("categories"), f.label("grade")),
        rows=tuple(
            (c.name, ", ".join(c.categories) if c.categories else none_found, c.grade or "–")
            for c in scan.columns
        ),
        empty=f.label("none"),
    )
    return (Facts(tuple(rows), f.label("scan")), table) if rows else (table,)


def _prefill_recipient(f: _Facts) -> tuple[Block, ...]:
    a = f.application
    return (
        Facts(
            (
                (f.label("recipient"), f.recipient.name),
                (f.label("recipient_country"), a.recipient_country),
                (f.label("storage_location"), a.storage_location),
                (f.label("retention"), a.retention),
            )
        ),
    )


def _prefill_recipient_country(f: _Facts) -> tuple[Block, ...]:
    return (Facts(((f.label("recipient_country"), f.application.recipient_country),)),)


def _prefill_legal_minimum(f: _Facts) -> tuple[Block, ...]:
    return (
        Table(
            caption=f.label("legal_minimum"),
            header=(Label("序号", "No."), f.label("requirement")),
            rows=tuple((f"({i})", _label(t)) for i, t in enumerate(f.defs.legal_minimum, 1)),
            empty=f.label("none"),
        ),
    )


PREFILLS: dict[str, Callable[[_Facts], tuple[Block, ...]]] = {
    "exporter": _prefill_exporter,
    "transfer": _prefill_transfer,
    "decision": _prefill_decision,
    "obligations": _prefill_obligations,
    "purpose": _prefill_purpose,
    "fields": _prefill_fields,
    "scale": _prefill_scale,
    "dataset": _prefill_dataset,
    "columns": _prefill_columns,
    "scan": _prefill_scan,
    "recipient": _prefill_recipient,
    "recipient_country": _prefill_recipient_country,
    "legal_minimum": _prefill_legal_minimum,
}


def _citation(defs: Definitions, key: str) -> Citation:
    found = defs.citations[key]
    return Citation(_label(found.ref), found.status == "confirmed")


def _section(facts: _Facts, spec: SectionDef, answers: Answers, draft: bool) -> Section | None:
    blocks: list[Block] = []
    for name in spec.prefill:
        blocks += PREFILLS[name](facts)
    labels = facts.defs.answers
    for key in spec.answers:
        blocks.append(Answer(key, _label(labels[key]), answers.get(key, ()), required=True))
    for key in spec.optional:
        # An optional part is shown when written, and offered in a draft.
        if key in answers or draft:
            blocks.append(Answer(key, _label(labels[key]), answers.get(key, ()), required=False))
    if not blocks:
        return None
    return Section(
        id=spec.id,
        number=_label(spec.number) if spec.number else None,
        heading=_label(spec.heading),
        requirement=_label(spec.requirement) if spec.requirement else None,
        citations=tuple(_citation(facts.defs, key) for key in spec.cite),
        blocks=tuple(blocks),
    )


def build_report(
    session: Session,
    application: Application,
    kind: ReportKind,
    answers: Answers,
    *,
    draft: bool,
    generated_by: str,
    generated_at: datetime,
    scan: ScanLookup = stored_scan,
) -> Report:
    """The report's content, pre-filled from what dataport knows about the application."""
    defs = definitions()
    spec = defs.reports[kind]
    version = session.get_one(DatasetVersion, application.dataset_version_id)
    stored = scan(session, version)
    facts = _Facts(
        defs=defs,
        application=application,
        decision=Decision.model_validate(application.decision),
        exporter=session.get_one(Organisation, application.org_id),
        recipient=session.get_one(Organisation, application.recipient_org_id),
        dataset=session.get_one(Dataset, application.dataset_id),
        version=version,
        scan=scan_findings(stored) if stored is not None else None,
    )
    sections = [_section(facts, s, answers, draft) for s in spec.sections]
    local = generated_at.astimezone(calendar.CHINA)
    keep_until = (
        calendar.add_years(local.date(), spec.keep_years) if spec.keep_years is not None else None
    )
    return Report(
        kind=str(kind),
        title=_label(spec.title),
        basis=_label(spec.basis),
        citations=tuple(_citation(defs, key) for key in spec.cite),
        application_id=str(application.id),
        exporter=facts.exporter.name,
        recipient=facts.recipient.name,
        generated_at=local.strftime("%Y-%m-%d %H:%M (UTC+8)"),
        generated_by=generated_by,
        prepared_by=answers.get("prepared_by", ()),
        draft=draft,
        sections=tuple(s for s in sections if s is not None),
        fonts=(defs.fonts.body, defs.fonts.heading),
        font_package=defs.fonts.package,
        keep_until=keep_until,
        keep_citation=_citation(defs, spec.keep_cite) if spec.keep_cite else None,
        labels={key: _label(text) for key, text in defs.labels.items()},
    )


# -- generating ----------------------------------------------------------------------------


class ReportIncomplete(InvalidInput):
    code = "report_incomplete"


@dataclass(frozen=True)
class RenderedReport:
    application_id: uuid.UUID
    kind: ReportKind
    format: ReportFormat
    content: bytes
    sha256: str
    draft: bool
    #: Sections still to be written (a draft may have some; a final report has none).
    incomplete: tuple[str, ...]

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    @property
    def filename(self) -> str:
        prefix = "DRAFT-" if self.draft else ""
        return f"{prefix}{self.kind}-{self.application_id}.{self.format}"


def _refuse_incomplete(kind: ReportKind, report: Report) -> None:
    incomplete = report.incomplete
    if not incomplete:
        return
    en_parts = [f"{s.title.en} ({', '.join(a.key for a in s.missing_answers)})" for s in incomplete]
    zh_parts = [
        f"{s.title.zh}（{'、'.join(a.key for a in s.missing_answers)}）" for s in incomplete
    ]
    name = definitions().reports[kind].title
    raise ReportIncomplete(
        f"the {name.en.lower()} cannot be finalised: {len(incomplete)} required section(s) "
        f"are empty: {'; '.join(en_parts)}. Write them in the answers file "
        "(docs/reports.md), or render a draft.",
        f"{name.zh}无法定稿：{len(incomplete)} 个必填部分为空：{'；'.join(zh_parts)}。"
        "请在答复文件中补充（见 docs/reports.md），或生成草稿。",
        field="answers",
        sections=[
            {
                "id": s.id,
                "title": {"zh": s.title.zh, "en": s.title.en},
                "missing": [a.key for a in s.missing_answers],
            }
            for s in incomplete
        ],
    )


def generate_report(
    session: Session,
    principal: Principal,
    application_id: uuid.UUID,
    kind: ReportKind,
    fmt: ReportFormat,
    answers: Answers,
    *,
    draft: bool = False,
    scan: ScanLookup = stored_scan,
    now: datetime | None = None,
) -> RenderedReport:
    """Render a report of an application the principal may read.

    A final report needs every required section written; it is recorded in the audit trail
    with its SHA-256, in the caller's transaction. A draft is rendered with what there is,
    marked as a draft, and not recorded.
    """
    application = get_application(session, principal, application_id)
    report = build_report(
        session,
        application,
        kind,
        answers,
        draft=draft,
        generated_by=principal.actor,
        generated_at=now or datetime.now(calendar.CHINA),
        scan=scan,
    )
    if not draft:
        _refuse_incomplete(kind, report)
    content = rendering.render(report, fmt)
    digest = hashlib.sha256(content).hexdigest()
    if not draft:
        record(
            session,
            principal,
            "report.generated",
            target_type="application",
            target_id=application.id,
            org_id=application.org_id,
            kind=str(kind),
            format=str(fmt),
            sha256=digest,
            application=str(application.id),
            dataset_version=str(application.dataset_version_id),
            bytes=len(content),
        )
    return RenderedReport(
        application_id=application.id,
        kind=kind,
        format=fmt,
        content=content,
        sha256=digest,
        draft=draft,
        incomplete=tuple(s.id for s in report.incomplete),
    )
