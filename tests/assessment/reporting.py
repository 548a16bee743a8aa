"""What report tests share: a complete set of answers, and readers of the files produced."""

from __future__ import annotations

import io
from typing import Any

import docx
import pypdf

#: Every narrative part of both reports, as an answers file would give them.
FULL_ANSWERS: dict[str, Any] = {
    "prepared_by": "张敏，数据合规部 / Zhang Min, Data Compliance",
    "purpose_and_necessity": {
        "zh": "德国母公司开展车辆售后质量分析，仅提供车辆识别代号与车主姓名。",
        "en": "The German parent analyses after-sales quality; only VIN and owner name are sent.",
    },
    "recipient_processing": "接收方仅在法兰克福用于质量分析，不向第三方提供。",
    "security_risks": "不涉及重要数据；主要风险为泄露，已以去标识化与访问控制降低。",
    "impact_on_rights": "对车主权益影响有限，不用于自动化决策。",
    "protective_measures": ["传输采用 TLS 1.3 加密。", "访问按最小权限授权，日志保存三年。"],
    "recipient_obligations": "接收方承诺按标准合同第三条履行义务，期满删除（含备份）。",
    "recipient_measures": "接收方通过 ISO/IEC 27001 认证，采用 AES-256 静态加密。",
    "transfer_risks": "以端到端加密、访问审计及合同约束应对截获与滥用。",
    "rights_channels": "车主可通过客服热线及 privacy@example.com 行使权利。",
    "legal_documents": "《个人信息出境标准合同》，附录二约定再转移限制与应急处置。",
    "foreign_law": "德国适用欧盟《通用数据保护条例》，未发现妨碍履约的法律。",
    "other_matters": "无。",
    "conclusion": "经评估，本次数据出境风险可控。",
}


def pdf_fonts(content: bytes) -> set[str]:
    """The base names of every font the PDF's pages use."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    names: set[str] = set()
    for page in reader.pages:
        resources = page.get("/Resources")
        if resources is None:
            continue
        fonts = resources.get_object().get("/Font")
        if fonts is None:
            continue
        for ref in fonts.get_object().values():
            font = ref.get_object()
            names.add(str(font.get("/BaseFont", "")))
            for descendant in font.get("/DescendantFonts", []) or []:
                names.add(str(descendant.get_object().get("/BaseFont", "")))
    return names


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def docx_text(content: bytes) -> tuple[list[str], str]:
    """The Heading 1 paragraphs, and all text of body, tables, headers."""
    document = docx.Document(io.BytesIO(content))
    headings = [
        p.text for p in document.paragraphs if p.style is not None and p.style.name == "Heading 1"
    ]
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    for section in document.sections:
        parts += [p.text for p in section.header.paragraphs]
    return headings, "\n".join(parts)
