"""Routes that render an application's self-assessment or PI impact assessment.

GET renders from what dataport knows alone, so it serves drafts (a final report needs the
narrative parts); POST takes the narrative parts as a JSON object with the keys of the
answers file (docs/reports.md). A final report is recorded in the audit trail by its hash.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response

from dataport.api.deps import PrincipalDep, SessionDep
from dataport.assessment.reports import (
    MEDIA_TYPES,
    RenderedReport,
    ReportFormat,
    ReportKind,
    generate_report,
    parse_answers,
)

router = APIRouter(prefix="/v1", tags=["reports"])

FormatQuery = Annotated[ReportFormat, Query(alias="format", description="html, pdf or docx")]
DraftQuery = Annotated[
    bool, Query(description="Render with empty sections marked, as a draft (not recorded)")
]
_FILES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report file; its SHA-256 is in the X-Report-SHA256 header.",
        "content": {media.split(";")[0]: {} for media in MEDIA_TYPES.values()},
    }
}


def _file(report: RenderedReport) -> Response:
    return Response(
        report.content,
        media_type=report.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{report.filename}"',
            "X-Report-SHA256": report.sha256,
            "X-Report-Draft": "true" if report.draft else "false",
        },
    )


@router.get(
    "/applications/{application_id}/reports/{kind}",
    summary="Render a report from what dataport knows (a draft until the narrative is given)",
    response_class=Response,
    responses=_FILES,
)
def get_report(
    application_id: uuid.UUID,
    kind: ReportKind,
    session: SessionDep,
    principal: PrincipalDep,
    fmt: FormatQuery = ReportFormat.pdf,
    draft: DraftQuery = False,
) -> Response:
    return _file(generate_report(session, principal, application_id, kind, fmt, {}, draft=draft))


@router.post(
    "/applications/{application_id}/reports/{kind}",
    summary="Render a report with its narrative parts (the answers file's keys, as JSON)",
    response_class=Response,
    responses=_FILES,
)
def post_report(
    application_id: uuid.UUID,
    kind: ReportKind,
    session: SessionDep,
    principal: PrincipalDep,
    answers: Annotated[dict[str, Any], Body(description="Keys as in docs/reports.md")],
    fmt: FormatQuery = ReportFormat.pdf,
    draft: DraftQuery = False,
) -> Response:
    written = parse_answers(answers, source="body")
    return _file(
        generate_report(session, principal, application_id, kind, fmt, written, draft=draft)
    )
