"""The pathway engine: which legal mechanism a transfer needs, why, and what remains to do.

Rules are tried stage by stage (prohibition, exemption, free-trade-zone lists, triggers,
defaults); the first rule that holds decides, and every rule tried is in the trace. The
counts that the thresholds turn on are cumulative over the pack's counting window and include
the transfer being decided.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from dataport.rules.pack import (
    STAGES,
    CompiledPack,
    ListSector,
    PackRegistry,
    Pathway,
    RulePackError,
    shipped_packs,
)
from dataport.rules.scenario import HistoryEntry, Scenario
from dataport.rules.schemas import (
    PATHWAY_LABELS,
    BasisItem,
    CitationOut,
    Cumulative,
    Decision,
    ObligationOut,
    TraceEntry,
)


def counting_window(as_of: date, window: str) -> date:
    """First day of the counting window that ``as_of`` falls in."""
    year = as_of.year if window == "current_year" else as_of.year - 1
    return date(year, 1, 1)


def cumulative_counts(
    scenario: Scenario, window: str, history: Sequence[HistoryEntry] | None = None
) -> Cumulative:
    start = counting_window(scenario.as_of, window)
    earlier = [
        h
        for h in (history if history is not None else scenario.history)
        if start <= h.date <= scenario.as_of
    ]
    return Cumulative(
        individuals=scenario.transfer.individuals + sum(h.individuals for h in earlier),
        sensitive_individuals=scenario.transfer.sensitive_individuals
        + sum(h.sensitive_individuals for h in earlier),
        window=window,
        window_from=start,
        window_to=scenario.as_of,
        transfers_counted=len(earlier) + 1,
    )


def _facts(scenario: Scenario, cumulative: Cumulative) -> dict[str, Any]:
    exporter, transfer = scenario.exporter, scenario.transfer
    return {
        "core_data": transfer.core_data,
        "important_data": transfer.important_data,
        "self_identified_important": transfer.self_identified_important,
        "contains_pi": transfer.contains_pi,
        "ciio": exporter.ciio,
        "purpose": transfer.purpose,
        "recipient_country": transfer.recipient_country,
        "registered_zone": exporter.registered_zone,
        "sector": exporter.sector,
        "individuals": transfer.individuals,
        "sensitive_individuals": transfer.sensitive_individuals,
        "cumulative_individuals": cumulative.individuals,
        "cumulative_sensitive_individuals": cumulative.sensitive_individuals,
        # An upper bound: one person may be counted in both categories.
        "cumulative_all_individuals": cumulative.individuals + cumulative.sensitive_individuals,
        "pi_individuals_handled": exporter.pi_individuals_handled,
    }


def _citations(compiled: CompiledPack, keys: Sequence[str]) -> list[CitationOut]:
    citations = compiled.pack.citations
    return [CitationOut(key=k, **citations[k].model_dump()) for k in keys]


@dataclass(frozen=True)
class _Verdict:
    pathway: Pathway
    basis: BasisItem


def decide(scenario: Scenario, registry: PackRegistry | None = None) -> Decision:
    """The decision for ``scenario`` under the packs in force on its ``as_of`` date."""
    registry = registry or shipped_packs()
    national = registry.national(scenario.as_of)
    zone_packs = registry.for_zone(scenario.as_of, scenario.exporter.registered_zone)
    cumulative = cumulative_counts(scenario, national.pack.counting_window)
    facts = _facts(scenario, cumulative)
    trace: list[TraceEntry] = []
    fired: list[_Verdict] = []

    for stage in STAGES:
        if stage == "ftz":
            for compiled in zone_packs:
                verdict = _apply_zone_list(compiled, scenario, trace)
                if verdict is not None:
                    fired.append(verdict)
            continue
        for rule in national.pack.rules:
            if rule.stage != stage:
                continue
            outcome = national.rule_conditions[rule.id].evaluate(facts)
            trace.append(
                TraceEntry(
                    pack=national.pack.ref,
                    rule=rule.id,
                    stage=stage,
                    fired=outcome.holds,
                    explanation=outcome.because,
                )
            )
            if outcome.holds:
                fired.append(
                    _Verdict(
                        rule.pathway,
                        BasisItem(
                            pack=national.pack.ref,
                            rule=rule.id,
                            title=rule.title,
                            pathway=rule.pathway,
                            citations=_citations(national, rule.cite),
                        ),
                    )
                )
    if not fired:
        # Fail closed: a pack that leaves a case undecided is a defect in the pack.
        raise RulePackError(
            f"no rule of {national.pack.ref} decides this scenario",
            f"{national.pack.ref} 中没有规则适用于该情景",
        )
    pathway = fired[0].pathway
    basis = [v.basis for v in fired if v.pathway is pathway]
    facts["pathway"] = str(pathway)
    obligations = [
        ObligationOut(
            id=o.id, pack=national.pack.ref, text=o.text, citations=_citations(national, o.cite)
        )
        for o in national.pack.obligations
        if national.obligation_conditions[o.id].evaluate(facts).holds
    ]
    return Decision(
        as_of=scenario.as_of,
        pathway=pathway,
        pathway_label=PATHWAY_LABELS[pathway],
        basis=basis,
        obligations=obligations,
        cumulative=cumulative,
        packs=[national.pack.ref, *(c.pack.ref for c in zone_packs)],
        trace=trace,
    )


def _apply_zone_list(
    compiled: CompiledPack, scenario: Scenario, trace: list[TraceEntry]
) -> _Verdict | None:
    """Apply one free-trade-zone list; explain in the trace why it does or does not exempt."""
    pack = compiled.pack
    zone_list = pack.zone_list
    if zone_list is None:
        return None
    rule_id = f"ftz-{zone_list.kind}-list"

    def note(fired: bool, why: str) -> None:
        trace.append(
            TraceEntry(pack=pack.ref, rule=rule_id, stage="ftz", fired=fired, explanation=why)
        )

    exporter, transfer = scenario.exporter, scenario.transfer
    if zone_list.excludes_ciio and exporter.ciio:
        note(False, "not applied: the list excludes CIIOs")
        return None
    if transfer.core_data or transfer.important_data:
        note(False, "not applied: core or important data is never exempted by a zone list")
        return None
    sectors = [s for s in zone_list.sectors if s.covers(exporter.sector)]
    if not sectors:
        note(False, f"not applied: no list for sector {exporter.sector!r}; national rules apply")
        return None
    if zone_list.kind == "negative":
        if not zone_list.content_complete:
            note(
                False,
                "not applied: the list's content is not fully known (the pack marks it "
                "incomplete), so absence from it proves nothing; national rules apply",
            )
            return None
        listed = _on_negative_list(sectors, transfer.fields)
        if listed or not transfer.fields:
            why = f"fields on the list: {', '.join(listed)}" if listed else "no fields stated"
            note(False, f"not applied: {why}; national rules apply")
            return None
        note(True, "no field is on the negative list")
        return _exempt(compiled, rule_id)
    return _apply_general_list(compiled, sectors, scenario, note, rule_id)


def _apply_general_list(
    compiled: CompiledPack,
    sectors: list[ListSector],
    scenario: Scenario,
    note: Any,
    rule_id: str,
) -> _Verdict | None:
    transfer = scenario.transfer
    if transfer.sensitive_individuals:
        note(False, "not applied: sensitive personal information is not general data")
        return None
    if not transfer.fields:
        note(False, "not applied: no fields stated to match against the list")
        return None
    for sector in sectors:
        allowed = _general_list_ids(sector)
        missing = [f for f in transfer.fields if not _listed(f, allowed)]
        if missing:
            note(False, f"not applied: not on the {sector.id} list: {', '.join(missing)}")
            continue
        unmet = [c.id for c in sector.conditions if transfer.conditions.get(c.id) is not c.must_be]
        if unmet:
            note(False, f"not applied: conditions not stated as met: {', '.join(unmet)}")
            continue
        met = ", ".join(f"{c.id}={str(c.must_be).lower()}" for c in sector.conditions)
        note(True, f"every field is on the {sector.id} list" + (f"; {met}" if met else ""))
        return _exempt(compiled, rule_id, [k for c in sector.conditions for k in c.cite])
    return None


def _general_list_ids(sector: ListSector) -> set[str]:
    ids = set()
    for scenario in sector.scenarios:
        for category in scenario.categories:
            base = f"{sector.id}.{scenario.id}.{category.id}"
            ids.add(base)
            ids.update(f"{base}.{field.id}" for field in category.fields)
    return ids


def _listed(field: str, allowed: set[str]) -> bool:
    # A field of a listed category is covered by the category.
    parts = field.split(".")
    return any(".".join(parts[:n]) in allowed for n in range(len(parts), 2, -1))


def _on_negative_list(sectors: list[ListSector], fields: Sequence[str]) -> list[str]:
    listed = {f"{s.id}.{e.id}" for s in sectors for e in s.entries}
    return [f for f in fields if any(f == x or f.startswith(x + ".") for x in listed)]


def _exempt(compiled: CompiledPack, rule_id: str, extra: Sequence[str] = ()) -> _Verdict:
    pack = compiled.pack
    assert pack.zone_list is not None  # noqa: S101 - only zone lists get here
    keys = list(dict.fromkeys([*pack.zone_list.cite, *extra]))
    return _Verdict(
        Pathway.exempt,
        BasisItem(
            pack=pack.ref,
            rule=rule_id,
            title=pack.title,
            pathway=Pathway.exempt,
            citations=_citations(compiled, keys),
        ),
    )
