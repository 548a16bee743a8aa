"""The scan result as a report a compliance officer hands on: HTML with inline SVG charts.

Everything the page needs is inside it (styles, charts): no script, no font or file from the
network. Labels come from ``templates/labels.yaml`` in both languages.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import jinja2
import yaml

from dataport import __version__
from dataport.classify.schemas import ScanResult
from dataport.config import Language

#: Colours of grades by their rank in a pack, lowest first (green to deep red).
_GRADE_COLOURS = ("#2e7d32", "#558b2f", "#f9a825", "#ef6c00", "#c62828", "#6a1b9a")


@cache
def labels() -> dict[str, dict[str, str]]:
    text = (files("dataport.classify") / "templates" / "labels.yaml").read_text(encoding="utf-8")
    data: dict[str, dict[str, str]] = yaml.safe_load(text)
    return data


def label(key: str, lang: Language) -> str:
    pair = labels()[key]
    return pair["zh"] if lang == "zh-CN" else pair["en"]


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    width: float
    colour: str


def _bars(counts: list[tuple[str, int, str]], scale: float) -> list[Bar]:
    top = max((c for _, c, _ in counts), default=0) or 1
    return [Bar(name, count, scale * count / top, colour) for name, count, colour in counts]


def _grade_colours(result: ScanResult) -> dict[str, str]:
    grades = sorted({c.grade for c in result.columns} | {result.dataset_grade})
    ranks = {g: i for i, g in enumerate(_grade_order(result, grades))}
    top = max(len(ranks) - 1, 1)
    return {
        g: _GRADE_COLOURS[min(len(_GRADE_COLOURS) - 1, round(r * 4 / top))]
        for g, r in ranks.items()
    }


def _grade_order(result: ScanResult, grades: list[str]) -> list[str]:
    from dataport.classify.grading import grading_pack

    pack = grading_pack(result.rulepack.id)
    return sorted(grades, key=pack.rank)


def render_html(result: ScanResult) -> str:
    """The whole report as one HTML document (both languages on the page)."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("dataport.classify", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    template = environment.get_template("scan_report.html.j2")
    colours = _grade_colours(result)
    category_counts = Counter(c for column in result.columns for c in column.categories)
    category_labels = {f.category: f.label for column in result.columns for f in column.findings}
    sensitive = {
        f.category
        for column in result.columns
        for f in column.findings
        if f.sensitivity == "sensitive"
    }
    category_bars = _bars(
        [
            (
                category_labels[c].zh,
                n,
                "#c62828" if c in sensitive else "#1565c0",
            )
            for c, n in category_counts.most_common()
        ],
        scale=360.0,
    )
    grade_counts = Counter(c.grade for c in result.columns)
    grade_names = {c.grade: c.grade_label for c in result.columns}
    ordered = _grade_order(result, list(grade_counts))
    grade_bars = _bars(
        [
            (f"{grade_names[g].zh} {grade_names[g].en}", grade_counts[g], colours[g])
            for g in reversed(ordered)
        ],
        scale=360.0,
    )
    context: dict[str, Any] = {
        "r": result,
        "L": labels(),
        "colours": colours,
        "category_bars": category_bars,
        "grade_bars": grade_bars,
        "pi_columns": sum(1 for c in result.columns if c.is_pi),
        "version": __version__,
    }
    return template.render(**context)
