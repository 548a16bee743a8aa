"""``dataport report``: the self-assessment and the PI impact assessment of an application."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from dataport.assessment.reports import (
    ReportFormat,
    ReportKind,
    generate_report,
    load_answers,
)
from dataport.cli.context import console, lang, operator, unit_of_work
from dataport.errors import InvalidInput

app = typer.Typer(
    help=(
        "Self-assessment and PI protection impact assessment reports. "
        "数据出境风险自评估报告与个人信息保护影响评估报告。"
    ),
    no_args_is_help=True,
)

ApplicationArg = Annotated[str, typer.Argument(help="The application's id.")]
AnswersOpt = Annotated[
    Path | None,
    typer.Option(
        "--answers",
        help="YAML file with the narrative parts (keys: docs/reports.md).",
        dir_okay=False,
    ),
]
ReportFormatOpt = Annotated[ReportFormat, typer.Option("--format", "-f", help="File format.")]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Where to write it; default <kind>-<application>.<format> here."
    ),
]
DraftOpt = Annotated[
    bool,
    typer.Option(
        "--draft",
        help="Render even with sections missing, marked as a draft (not recorded).",
    ),
]


def _generate(
    kind: ReportKind,
    application_id: str,
    answers: Path | None,
    fmt: ReportFormat,
    output: Path | None,
    draft: bool,
) -> None:
    try:
        app_id = uuid.UUID(application_id)
    except ValueError as exc:
        raise InvalidInput(
            f"{application_id!r} is not an application id",
            f"{application_id!r} 不是申请编号",
            field="application",
        ) from exc
    written = load_answers(answers) if answers is not None else {}
    with unit_of_work() as session:
        report = generate_report(session, operator(), app_id, kind, fmt, written, draft=draft)
        path = output or Path(report.filename)
        try:
            # Written before the commit: a final report is recorded only if the file exists.
            path.write_bytes(report.content)
        except OSError as exc:
            raise InvalidInput(
                f"cannot write {path}: {exc.strerror or exc}",
                f"无法写入 {path}：{exc.strerror or exc}",
                field="output",
            ) from exc
    zh = lang() == "zh-CN"
    out = console()
    out.print(f"{'已写入' if zh else 'wrote'} {escape(str(path))}")
    out.print(f"sha256 {report.sha256}")
    if report.draft:
        missing = ", ".join(report.incomplete) or ("无" if zh else "none")
        out.print(
            f"[yellow]{'草稿：未记入审计记录' if zh else 'draft: not recorded'}[/]; "
            f"{'待补充' if zh else 'to be completed'}: {missing}"
        )
    else:
        out.print("已记入审计记录" if zh else "recorded in the audit trail")


@app.command("self-assessment")
def self_assessment(
    application_id: ApplicationArg,
    answers: AnswersOpt = None,
    fmt: ReportFormatOpt = ReportFormat.pdf,
    output: OutputOpt = None,
    draft: DraftOpt = False,
) -> None:
    """The data-export risk self-assessment (Measures Art. 5). 数据出境风险自评估报告。"""
    _generate(ReportKind.self_assessment, application_id, answers, fmt, output, draft)


@app.command("pia")
def pia(
    application_id: ApplicationArg,
    answers: AnswersOpt = None,
    fmt: ReportFormatOpt = ReportFormat.pdf,
    output: OutputOpt = None,
    draft: DraftOpt = False,
) -> None:
    """The PI protection impact assessment (PIPL Art. 55–56). 个人信息保护影响评估报告。"""
    _generate(ReportKind.pia, application_id, answers, fmt, output, draft)
