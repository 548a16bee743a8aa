"""``dataport assess`` and ``dataport rules`` as a compliance officer uses them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from dataport.samples.customers import customers, write_csv
from tests.conftest import CliResult

Cli = Callable[..., CliResult]

SCENARIO = """\
as_of: 2025-06-01
exporter: {ciio: false, registered_zone: lingang, sector: automotive}
transfer:
  purpose: business
  recipient_country: DE
  contains_pi: true
  individuals: 150000
  sensitive_individuals: 0
  important_data: false
  core_data: false
  fields: []
  conditions: {}
history:
  - {date: 2025-01-10, individuals: 20000, sensitive_individuals: 0}
"""


def test_assess_json_contract(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    result = cli("assess", "--scenario", str(path), "--format", "json")
    assert result.code == 0, result.err
    body = json.loads(result.out)
    assert {"pathway", "basis", "obligations", "cumulative"} <= set(body)
    assert body["pathway"] == "standard_contract_or_certification"
    assert body["cumulative"]["individuals"] == 170_000
    assert body["basis"][0]["citations"][0]["ref"].startswith("促进和规范数据跨境流动规定 第八条")


def test_assess_table_in_both_languages(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    english = cli("assess", "--scenario", str(path))
    assert "Standard contract" in english.out
    assert "170,000 individuals" in english.out
    chinese = cli("--lang", "zh-CN", "assess", "--scenario", str(path))
    assert "标准合同" in chinese.out
    assert "第八条" in chinese.out


def test_assess_bad_input(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.replace("purpose: business", "purpose: fun"), encoding="utf-8")
    result = cli("assess", "--scenario", str(path))
    assert result.code == 2
    assert "transfer.purpose" in result.err
    path.write_text(
        SCENARIO.replace("2025-06-01", "2020-06-01").replace("2025-01-10", "2020-01-10")
    )
    result = cli("assess", "--scenario", str(path))
    assert result.code == 2
    assert "no rule pack for CN is in force on 2020-06-01" in result.err


def test_rules_list_and_show(cli: Cli) -> None:
    listed = json.loads(cli("rules", "list", "--as-of", "2025-06-01", "--format", "json").out)
    refs = {p["ref"] for p in listed}
    assert "cn-national@2024.03.22" in refs
    assert "cn-national@2023.06.01" not in refs
    shown = cli("rules", "show", "cn-sh-lingang-general-data-list")
    assert shown.code == 0
    assert "images_contain_faces_or_plates" in shown.out
    assert "incomplete" in shown.out
    assert cli("rules", "show", "nope").code == 2


def test_assess_a_registered_dataset_from_its_scan(cli: Cli, tmp_path: Path) -> None:
    assert cli("org", "create", "Xinghai", "--kind", "enterprise", "--zone", "lingang").code == 0
    assert cli("org", "create", "Rheinwerk", "--kind", "enterprise", "--country", "DE").code == 0
    path = write_csv(customers(200), tmp_path / "customers.csv")
    assert cli("dataset", "add", str(path), "--name", "customers", "--org", "Xinghai").code == 0
    args = ("assess", "customers", "--org", "Xinghai", "--recipient", "Rheinwerk")
    unscanned = cli(*args)
    assert unscanned.code == 2
    assert "dataport dataset scan customers" in unscanned.err
    assert cli("dataset", "scan", "customers", "--org", "Xinghai").code == 0
    result = cli(*args, "--format", "json")
    assert result.code == 0, result.err
    body = json.loads(result.out)
    assert body["pathway"] == "standard_contract_or_certification"
    assert body["cumulative"]["sensitive_individuals"] > 0
    both = cli("assess", "customers", "--scenario", str(path))
    assert both.code == 2
    assert "either" in both.err
    assert cli("assess").code == 2
    bad = cli(*args, "--condition", "images_contain_faces_or_plates")
    assert bad.code == 2
    assert "NAME=true" in bad.err
