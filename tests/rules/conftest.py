"""A scenario builder: the minimum the issue's schema asks for, with overrides."""

from __future__ import annotations

from typing import Any

from dataport.rules.engine import decide
from dataport.rules.scenario import parse_scenario
from dataport.rules.schemas import Decision


def scenario(
    as_of: str = "2025-06-01",
    *,
    exporter: dict[str, Any] | None = None,
    history: list[dict[str, Any]] | None = None,
    **transfer: Any,
) -> dict[str, Any]:
    base_transfer: dict[str, Any] = {
        "purpose": "business",
        "recipient_country": "DE",
        "contains_pi": True,
        "individuals": 1000,
        "sensitive_individuals": 0,
    }
    base_transfer.update(transfer)
    return {
        "as_of": as_of,
        "exporter": {
            "ciio": False,
            "registered_zone": None,
            "sector": "general",
            **(exporter or {}),
        },
        "transfer": base_transfer,
        "history": history or [],
    }


def decision(*args: Any, **kwargs: Any) -> Decision:
    return decide(parse_scenario(scenario(*args, **kwargs)))


def fired(result: Decision) -> list[str]:
    return [t.rule for t in result.trace if t.fired]
