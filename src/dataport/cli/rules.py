"""``dataport assess`` (what-if decisions) and ``dataport rules`` (the packs in force)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel

from dataport.assessment import service as applications
from dataport.assessment.calendar import today_in_china
from dataport.catalog.service import find_dataset
from dataport.cli.context import (
    OutputFormat,
    Table,
    console,
    lang,
    operator,
    print_json,
    unit_of_work,
)
from dataport.cli.identity import FormatOpt
from dataport.errors import InvalidInput
from dataport.identity.service import find_organisation
from dataport.rules.engine import decide
from dataport.rules.pack import PackRegistry, registry_with, shipped_packs
from dataport.rules.scenario import load_scenario
from dataport.rules.schemas import Decision

rules_app = typer.Typer(help="Rule packs in force. 生效的规则包。", no_args_is_help=True)

RulePackOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--rulepack",
        help="An extra rule pack file; a newer version of a shipped pack takes over from its date.",
    ),
]


def _registry(extra: list[Path] | None) -> PackRegistry:
    return registry_with(extra) if extra else shipped_packs()


def _pick(zh: str, en: str) -> str:
    return zh if lang() == "zh-CN" else en


def assess(
    dataset: Annotated[
        str | None,
        typer.Argument(help="A registered dataset (its facts come from its stored scan)."),
    ] = None,
    scenario: Annotated[
        Path | None,
        typer.Option("--scenario", help="A what-if scenario YAML file (see docs/rulepacks.md)."),
    ] = None,
    org: Annotated[
        str | None, typer.Option("--org", envvar="DATAPORT_ORG", help="The dataset's organisation.")
    ] = None,
    recipient: Annotated[str | None, typer.Option(help="The recipient organisation.")] = None,
    purpose: Annotated[str, typer.Option(help="The purpose (see docs/rulepacks.md).")] = "business",
    field: Annotated[
        list[str] | None, typer.Option("--field", help="A field id for zone lists (repeat).")
    ] = None,
    condition: Annotated[
        list[str] | None,
        typer.Option("--condition", help="A list condition as NAME=true|false (repeat)."),
    ] = None,
    rulepack: RulePackOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Decide a transfer's legal pathway, with the rules and citations behind it. 出境路径评估。

    Either a registered DATASET (with --org and --recipient) or a --scenario file.
    """
    if (dataset is None) == (scenario is None):
        raise InvalidInput(
            "give either a registered DATASET or --scenario FILE",
            "请指定已登记的数据集（DATASET）或情景文件（--scenario），二者择一",
            field="dataset",
        )
    if scenario is not None:
        decision = decide(load_scenario(scenario), _registry(rulepack))
    else:
        assert dataset is not None  # noqa: S101 - checked above
        decision = _assess_dataset(
            dataset, org, recipient, purpose, field or [], condition or [], _registry(rulepack)
        )
    if fmt is OutputFormat.json:
        print_json(decision)
    else:
        render_decision(decision)


def _assess_dataset(
    name: str,
    org: str | None,
    recipient: str | None,
    purpose: str,
    fields: list[str],
    conditions: list[str],
    registry: PackRegistry,
) -> Decision:
    if org is None or recipient is None:
        raise InvalidInput(
            "assessing a registered dataset needs --org and --recipient",
            "评估已登记数据集需要 --org 和 --recipient",
            field="recipient" if org else "org",
        )
    parsed: dict[str, bool] = {}
    for item in conditions:
        key, sep, value = item.partition("=")
        if not sep or value.lower() not in ("true", "false"):
            raise InvalidInput(
                f"--condition {item!r}: expected NAME=true or NAME=false",
                f"--condition {item!r}：格式应为 NAME=true 或 NAME=false",
                field="condition",
            )
        parsed[key.strip()] = value.lower() == "true"
    with unit_of_work() as session:
        exporter = find_organisation(session, org)
        return applications.assess_dataset(
            session,
            operator(),
            dataset=find_dataset(session, operator(), exporter, name),
            recipient=find_organisation(session, recipient),
            purpose=purpose,
            fields=fields,
            conditions=parsed,
            on=today_in_china(),
            registry=registry,
        )


def render_decision(decision: Decision) -> None:
    out = console()
    label = decision.pathway_label
    colour = {
        "exempt": "green",
        "standard_contract_or_certification": "yellow",
        "security_assessment": "red",
        "prohibited": "bold red",
    }[decision.pathway]
    c = decision.cumulative
    out.print(
        Panel(
            f"[{colour}]{_pick(label.zh, label.en)}[/]  ({decision.pathway})\n"
            + _pick(
                f"截至 {decision.as_of}，自 {c.window_from} 起累计"
                f"（含本次，{c.transfers_counted} 次）："
                f"个人信息 {c.individuals:,} 人，敏感个人信息 {c.sensitive_individuals:,} 人",
                f"As of {decision.as_of}, cumulative since {c.window_from} (this transfer "
                f"included, {c.transfers_counted} transfers): {c.individuals:,} individuals, "
                f"{c.sensitive_individuals:,} with sensitive PI",
            )
            + "\n"
            + _pick("规则包：", "Rule packs: ")
            + ", ".join(decision.packs),
            title=_pick("出境路径", "Pathway"),
        )
    )
    basis = Table(title=_pick("依据", "Basis"), show_lines=True)
    basis.add_column(_pick("规则", "Rule"))
    basis.add_column(_pick("出处", "Citation"))
    for item in decision.basis:
        cites = "\n".join(f"{c.ref} ({c.status})\n{_pick(c.zh, c.en)}" for c in item.citations)
        basis.add_row(f"{_pick(item.title.zh, item.title.en)}\n[dim]{item.rule}[/]", cites)
    out.print(basis)
    duties = Table(title=_pick("仍须履行的义务", "Obligations"), show_lines=True)
    duties.add_column(_pick("义务", "Obligation"))
    duties.add_column(_pick("出处", "Citation"))
    for ob in decision.obligations:
        duties.add_row(_pick(ob.text.zh, ob.text.en), "\n".join(c.ref for c in ob.citations))
    out.print(duties)
    trace = Table(title=_pick("规则评估轨迹", "Trace: every rule tried"))
    for head in ("", _pick("阶段", "Stage"), _pick("规则", "Rule"), _pick("说明", "Why")):
        trace.add_column(head)
    for entry in decision.trace:
        trace.add_row(
            "[green]✓[/]" if entry.fired else "·", entry.stage, entry.rule, entry.explanation
        )
    out.print(trace)


@rules_app.command("list")
def rules_list(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Only packs in force on this date (YYYY-MM-DD).")
    ] = None,
    rulepack: RulePackOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """List rule packs and their dates. 列出规则包。"""
    registry = _registry(rulepack)
    packs = [c.pack for c in registry.packs]
    if as_of is not None:
        try:
            day = date.fromisoformat(as_of)
        except ValueError as exc:
            raise InvalidInput(
                f"--as-of {as_of!r} is not a date (YYYY-MM-DD)",
                f"--as-of {as_of!r} 不是日期",
                field="as_of",
            ) from exc
        packs = [p for p in packs if p.in_force(day)]
    if fmt is OutputFormat.json:
        print_json(
            [
                {
                    "ref": p.ref,
                    "title": p.title.model_dump(),
                    "zones": p.zones,
                    "effective_from": p.effective_from.isoformat(),
                    "effective_until": p.effective_until.isoformat() if p.effective_until else None,
                    "rules": len(p.rules),
                    "list": p.zone_list.kind if p.zone_list else None,
                }
                for p in packs
            ]
        )
        return
    table = Table(title=_pick("规则包", "Rule packs"))
    for head in (
        "Pack",
        _pick("名称", "Title"),
        _pick("区域", "Zones"),
        _pick("生效", "From"),
        _pick("失效", "Until"),
    ):
        table.add_column(head)
    for p in packs:
        table.add_row(
            p.ref,
            _pick(p.title.zh, p.title.en),
            ", ".join(p.zones) or "CN",
            p.effective_from.isoformat(),
            p.effective_until.isoformat() if p.effective_until else "-",
        )
    console().print(table)


@rules_app.command("show")
def rules_show(
    ref: Annotated[str, typer.Argument(help="PACK or PACK@VERSION.")],
    rulepack: RulePackOpt = None,
) -> None:
    """Show a pack's rules, citations and list. 查看规则包。"""
    compiled = _registry(rulepack).find(ref)
    pack = compiled.pack
    out = console()
    out.print(f"[bold]{pack.ref}[/]  {_pick(pack.title.zh, pack.title.en)}")
    out.print(
        f"{pack.effective_from} → {pack.effective_until or '…'}; "
        f"{_pick('累计窗口', 'counting window')}: {pack.counting_window}; "
        f"{_pick('区域', 'zones')}: {', '.join(pack.zones) or 'CN'}"
    )
    if pack.rules:
        table = Table(title=_pick("规则", "Rules"), show_lines=True)
        for head in (
            _pick("阶段", "Stage"),
            "Rule",
            _pick("路径", "Pathway"),
            _pick("出处", "Cites"),
        ):
            table.add_column(head)
        for rule in pack.rules:
            table.add_row(
                rule.stage,
                f"{rule.id}\n{_pick(rule.title.zh, rule.title.en)}",
                rule.pathway,
                "\n".join(
                    f"{pack.citations[k].ref} ({pack.citations[k].status})" for k in rule.cite
                ),
            )
        out.print(table)
    if pack.zone_list is not None:
        zl = pack.zone_list
        complete = (
            _pick("完整", "complete")
            if zl.content_complete
            else _pick("不完整（未完全公开）", "incomplete (not fully published)")
        )
        out.print(f"{_pick('清单', 'List')}: {zl.kind}, {complete}")
        for sector in zl.sectors:
            out.print(
                f"  [bold]{sector.id}[/] {_pick(sector.title.zh, sector.title.en)} "
                f"({sector.status})"
            )
            for scenario in sector.scenarios:
                cats = ", ".join(_pick(c.title.zh, c.title.en) for c in scenario.categories) or "-"
                out.print(f"    {scenario.id}: {cats}")
            for entry in sector.entries:
                out.print(f"    - {_pick(entry.title.zh, entry.title.en)} ({entry.status})")
            for cond in sector.conditions:
                out.print(
                    f"    {_pick('条件', 'condition')} {cond.id} = {str(cond.must_be).lower()}: "
                    f"{_pick(cond.text.zh, cond.text.en)}"
                )
