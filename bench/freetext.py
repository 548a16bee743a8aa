"""What the free-text sample gets right and wrong: names (jieba) and addresses (cpca).

    .venv/bin/python bench/freetext.py

Writes bench/results/freetext-<timestamp>.json with, in one run:

- the labelled case table of the tests (tests/classify/data/freetext_cases.yaml: names,
  addresses and traps such as 黄山, 王老吉, 李白, 钱塘江): precision and recall of names (by
  mention) and of addresses (by cell), and for comparison the address detector's own regex and
  the whole-cell name detector on the same cells;
- generated sentences: Faker zh_CN names in note templates (recall of names Faker picks, whose
  given names are not all in the vocabulary) and Faker's filler sentences (false alarms);
- column-level decisions on 200-cell samples (notes naming people; repeated traps; filler);
- the cost: cells examined per second, after the libraries are loaded (load time apart).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl
import yaml
from faker import Faker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from dataport.classify import detector_for, find_matches, freetext  # noqa: E402
from dataport.classify.column import ColumnScan  # noqa: E402

RESULTS = ROOT / "bench" / "results"
CASES = ROOT / "tests" / "classify" / "data" / "freetext_cases.yaml"
TEMPLATES = (
    "客户{n}来电，反映订单未发货。",
    "请转告{n}，会议改到下午三点。",
    "经办人：{n}，已核实材料。",
    "收件人{n}不在家，快递放在门卫。",
    "患者{n}主诉头痛三天。",
    "{n}申请退款，理由是尺码不对。",
    "由{n}负责本周值班。",
    "感谢客服{n}耐心解答。",
    "业主{n}家中漏水，已派人维修。",
    "学生{n}获得了奖学金。",
)
GENERATED = 500


def ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def case_table() -> dict[str, Any]:
    cases = yaml.safe_load(CASES.read_text(encoding="utf-8"))["cases"]
    texts = [c["text"] for c in cases]
    hits = false_alarms = misses = 0
    wrong: list[dict[str, Any]] = []
    for case in cases:
        found, wanted = set(freetext.names_in(case["text"])), set(case.get("names", []))
        hits += len(found & wanted)
        false_alarms += len(found - wanted)
        misses += len(wanted - found)
        if found != wanted:
            wrong.append({"text": case["text"], "found": sorted(found), "expected": sorted(wanted)})
    wanted_places = [bool(c.get("address")) for c in cases]
    cpca_found = [a is not None for a in freetext.addresses_in(texts)]
    regex = find_matches(detector_for("address"), pl.Series(texts))
    regex_rows = set(regex["row"].to_list())
    regex_found = [i in regex_rows for i in range(len(texts))]
    cell_names = find_matches(detector_for("person_name"), pl.Series(texts))

    def by_cell(found: list[bool]) -> dict[str, float | int]:
        tp = sum(1 for f, w in zip(found, wanted_places, strict=True) if f and w)
        return {
            "true_positive": tp,
            "false_positive": sum(found) - tp,
            "false_negative": sum(wanted_places) - tp,
            "precision": ratio(tp, sum(found)),
            "recall": ratio(tp, sum(wanted_places)),
        }

    return {
        "cells": len(cases),
        "names": {
            "mentions": hits + misses,
            "true_positive": hits,
            "false_positive": false_alarms,
            "false_negative": misses,
            "precision": ratio(hits, hits + false_alarms),
            "recall": ratio(hits, hits + misses),
            "wrong": wrong,
        },
        "names_whole_cell_detector": {"found": cell_names.height},
        "addresses_cpca": by_cell(cpca_found),
        "addresses_detector_regex": by_cell(regex_found),
    }


def generated() -> dict[str, Any]:
    fake = Faker("zh_CN")
    fake.seed_instance(2026)
    people = [fake.name() for _ in range(GENERATED)]
    notes = [TEMPLATES[i % len(TEMPLATES)].format(n=n) for i, n in enumerate(people)]
    found = sum(1 for n, t in zip(people, notes, strict=True) if n in freetext.names_in(t))
    fillers = [fake.sentence() for _ in range(GENERATED)]
    alarms = [freetext.names_in(s) for s in fillers]
    return {
        "faker_names_in_templates": {
            "sentences": GENERATED,
            "found_exactly": found,
            "recall": ratio(found, GENERATED),
        },
        "faker_filler_sentences": {
            "sentences": GENERATED,
            "with_a_false_name": sum(1 for a in alarms if a),
            "false_names": sorted({n for a in alarms for n in a})[:30],
        },
    }


def columns() -> dict[str, Any]:
    """Column-level decisions on 200-cell samples: notes naming people, and two trap columns."""
    cases = yaml.safe_load(CASES.read_text(encoding="utf-8"))["cases"]
    traps = [c["text"] for c in cases if not c.get("names") and not c.get("address")]
    fake = Faker("zh_CN")
    fake.seed_instance(7)
    samples = {
        "notes, a third naming someone": [
            TEMPLATES[i % len(TEMPLATES)].format(n=fake.name()) if i % 3 == 0 else fake.sentence()
            for i in range(freetext.SAMPLE_CELLS)
        ],
        "trap sentences, repeated": [traps[i % len(traps)] for i in range(freetext.SAMPLE_CELLS)],
        "Faker filler sentences": [fake.sentence() for _ in range(freetext.SAMPLE_CELLS)],
    }
    out: dict[str, Any] = {}
    for label, cells in samples.items():
        evidence = freetext.examine(cells)
        scan, _ = freetext.with_sample_hits(
            ColumnScan(name=label, non_null=len(cells), hits=()), evidence
        )
        out[label] = {
            "cells": evidence.sampled,
            "cells_with_a_name": evidence.names,
            "distinct_names": len(evidence.name_keys),
            "cells_with_an_address": evidence.addresses,
            "reported": list(scan.categories),
        }
    return out


def cost(loaded: float) -> dict[str, float]:
    cells = [c["text"] for c in yaml.safe_load(CASES.read_text(encoding="utf-8"))["cases"]] * 5
    started = time.perf_counter()
    freetext.examine(cells)
    seconds = time.perf_counter() - started
    return {
        "load_seconds": round(loaded, 3),
        "cells": len(cells),
        "cells_per_second": round(len(cells) / seconds, 1),
    }


def main() -> None:
    started = time.perf_counter()
    if not freetext.available():
        raise SystemExit("install the freetext extra: pip install -e '.[freetext]'")
    loaded = time.perf_counter() - started
    report = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sample_cells_per_column": freetext.SAMPLE_CELLS,
        "cost": cost(loaded),
        "case_table": case_table(),
        "generated": generated(),
        "columns": columns(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    path = RESULTS / f"freetext-{stamp}.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, ensure_ascii=False, indent=2))
    print(f"written: {path}")


if __name__ == "__main__":
    main()
