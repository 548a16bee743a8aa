"""The demo's scan: classify and grade the registered customers, store the result."""

from __future__ import annotations

from dataport.catalog import service as catalog
from dataport.classify import service as classify
from dataport.classify.schemas import ScanResult
from dataport.cli.context import Table, console, lang, operator, settings, unit_of_work
from dataport.identity import service as identity


def _say(en: str, zh: str) -> str:
    return zh if lang() == "zh-CN" else en


def demo_scan(exporter_name: str, dataset_name: str, title: str) -> ScanResult:
    """Scan the dataset's current version in full, store the result, print what it found."""
    with unit_of_work() as session:
        exporter = identity.find_organisation(session, exporter_name)
        dataset = catalog.find_dataset(session, operator(), exporter, dataset_name)
        stored = classify.scan_dataset(session, operator(), settings(), dataset=dataset)
        result = ScanResult.model_validate(stored.result)
        digest = stored.result_hash
    table = Table(title=title)
    for heading in (
        ("Column", "列名"),
        ("Categories", "类别"),
        ("Matched", "匹配"),
        ("Masked examples", "脱敏示例"),
        ("Grade", "级别"),
    ):
        table.add_column(_say(*heading))
    for column in result.columns:
        top = column.findings[0] if column.findings else None
        table.add_row(
            column.name,
            ", ".join(column.categories) or "-",
            f"{top.matched:,} ({top.ratio:.0%})" if top else "-",
            ", ".join(top.examples[:2]) if top else "",
            column.grade,
        )
    out = console()
    out.print(table)
    people = result.individuals
    grade = _say(result.dataset_grade_label.en, result.dataset_grade_label.zh)
    out.print(
        _say(
            f"Dataset grade: {grade} · individuals: {people.estimate:,} ({people.method}) · "
            f"with sensitive PI: {people.sensitive:,} · minors under 14: {people.minors:,}",
            f"数据集级别：{grade} · 涉及个人：{people.estimate:,}（{people.method}） · "
            f"涉及敏感个人信息：{people.sensitive:,} · 不满十四周岁：{people.minors:,}",
        )
    )
    out.print(
        _say(
            f"Stored with the version and recorded in the evidence log by its hash {digest}.\n"
            f"  HTML report: dataport dataset scan {dataset_name} --org {exporter_name} "
            "--format html -o report.html",
            f"结果已随版本保存，并以哈希 {digest} 记入证据日志。\n"
            f"  HTML 报告：dataport dataset scan {dataset_name} --org {exporter_name} "
            "--format html -o report.html",
        ),
        markup=False,
    )
    return result
