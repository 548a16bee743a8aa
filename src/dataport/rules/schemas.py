"""A decision as the CLI and API return it. Keep this contract stable: other tools read it."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from dataport.rules.pack import Pathway, Text

PATHWAY_LABELS: dict[Pathway, Text] = {
    Pathway.exempt: Text(
        zh="免予申报（无需安全评估、标准合同或认证）",
        en="Exempt (no assessment, contract or certification)",
    ),
    Pathway.standard_contract_or_certification: Text(
        zh="订立个人信息出境标准合同或通过个人信息保护认证",
        en="Standard contract or personal-information protection certification",
    ),
    Pathway.security_assessment: Text(
        zh="申报数据出境安全评估", en="Security assessment by the CAC"
    ),
    Pathway.prohibited: Text(zh="禁止出境", en="Prohibited: may not leave"),
}


class CitationOut(BaseModel):
    key: str
    ref: str
    zh: str
    en: str
    status: str
    url: str | None = None


class BasisItem(BaseModel):
    pack: str
    rule: str
    title: Text
    pathway: Pathway
    citations: list[CitationOut]


class ObligationOut(BaseModel):
    id: str
    pack: str
    text: Text
    citations: list[CitationOut]


class Cumulative(BaseModel):
    """Individuals sent abroad by the exporter in the counting window, this transfer included."""

    individuals: int
    sensitive_individuals: int
    window: str
    window_from: date
    window_to: date
    transfers_counted: int


class TraceEntry(BaseModel):
    pack: str
    rule: str
    stage: str
    fired: bool
    explanation: str


class Decision(BaseModel):
    as_of: date
    pathway: Pathway
    pathway_label: Text
    basis: list[BasisItem]
    obligations: list[ObligationOut]
    cumulative: Cumulative
    packs: list[str]
    trace: list[TraceEntry]
