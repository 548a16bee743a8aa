"""``dataport scan``, ``dataset scan`` and ``important-data`` as a person uses them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from dataport.classify.clock import china_today
from dataport.samples.customers import customers, write_csv
from tests.conftest import CliResult

Cli = Callable[..., CliResult]


@pytest.fixture
def customers_csv(tmp_path: Path) -> Path:
    return write_csv(customers(300, seed=5, today=china_today()), tmp_path / "customers.csv")


def test_scan_prints_the_json_contract(cli: Cli, customers_csv: Path) -> None:
    result = cli("scan", str(customers_csv), "--format", "json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    columns = {c["name"]: c["categories"] for c in document["columns"]}
    assert columns["身份证号"][0] == "cn_resident_id"
    assert columns["会员等级"] == []
    assert document["individuals"]["estimate"] == 300
    assert document["dataset_grade"] == "general_4"
    # 300 rows are fewer than a sample: the result says every row was read.
    assert document["sample"]["mode"] == "full"
    assert document["sample"]["description"]["en"] == "full: all 300 rows read"


def test_scan_says_it_sampled_and_writes_html(
    cli: Cli, customers_csv: Path, tmp_path: Path
) -> None:
    table = cli("scan", str(customers_csv), "--sample", "100")
    assert table.code == 0, table.err
    assert "the first 100 rows" in table.out
    assert "general_4" in table.out
    report = tmp_path / "report.html"
    written = cli("scan", str(customers_csv), "--full", "--format", "html", "-o", str(report))
    assert written.code == 0, written.err
    page = report.read_text(encoding="utf-8")
    assert "数据分类分级扫描报告" in page
    assert "every row read" in page
    both = cli("scan", str(customers_csv), "--full", "--sample", "5")
    assert both.code == 2
    assert "--full or --sample" in both.err


def test_grading_packs_are_listed_and_chosen(cli: Cli, customers_csv: Path) -> None:
    listed = cli("grading-packs")
    assert listed.code == 0
    assert "cn-finance" in listed.out
    finance = cli("scan", str(customers_csv), "--rulepack", "cn-finance", "--format", "json")
    assert json.loads(finance.out)["dataset_grade"] == "L3"
    unknown = cli("scan", str(customers_csv), "--rulepack", "nope")
    assert unknown.code == 2
    assert "unknown grading rule pack" in unknown.err


def test_dataset_scan_stores_the_result_and_show_summarises_it(
    cli: Cli, customers_csv: Path
) -> None:
    assert cli("org", "create", "Acme", "--kind", "enterprise").code == 0
    added = cli("dataset", "add", str(customers_csv), "--name", "customers", "--org", "Acme")
    assert added.code == 0, added.err
    item = cli(
        "important-data", "add", "--org", "Acme", "--name", "会员消费统计",
        "--field", "累计消费金额", "--authority", "上海市商务委员会", "--notified-on", "2025-03-01",
        "--format", "json",
    )  # fmt: skip
    assert item.code == 0, item.err
    item_id = json.loads(item.out)["id"]
    assert "会员消费统计" in cli("important-data", "list", "--org", "Acme").out
    scanned = cli("dataset", "scan", "customers", "--org", "Acme", "--format", "json")
    assert scanned.code == 0, scanned.err
    document = json.loads(scanned.out)
    assert document["sample"]["mode"] == "full"
    assert document["important_data"]["contains"] is True
    assert document["dataset_grade"] == "important"
    shown = cli("dataset", "show", "customers", "--org", "Acme")
    assert "latest scan" in shown.out
    assert "sha256:" in shown.out
    as_json = json.loads(cli("dataset", "show", "customers", "--org", "Acme", "-f", "json").out)
    assert as_json["latest_scan"]["individuals"]["estimate"] == 300
    assert "dataset.scanned" in cli("audit", "list").out
    assert cli("important-data", "withdraw", item_id).code == 0
    assert cli("important-data", "withdraw", item_id).code == 6


def test_bad_input_is_a_clear_error_without_a_traceback(cli: Cli, tmp_path: Path) -> None:
    missing = cli("scan", str(tmp_path / "nope.csv"))
    assert missing.code == 3
    assert "no such file" in missing.err
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("姓名,电话\n张三,13812345678\n".encode("gb18030"))
    wrong = cli("scan", str(gbk), "--encoding", "utf-8")
    assert wrong.code == 3
    assert "not valid utf-8" in wrong.err
    empty = tmp_path / "empty.csv"
    empty.write_text("name,phone\n", encoding="utf-8")
    nothing = cli("scan", str(empty))
    assert nothing.code == 3
    assert "no rows" in nothing.err
    huge = tmp_path / "huge.csv"
    with huge.open("w", encoding="utf-8") as fh:
        fh.write("id,note\n1,")
        fh.write("x" * (200 << 20))
        fh.write("\n2,short\n")
    giant = cli("scan", str(huge))
    assert giant.code == 3
    assert "larger than 64 MB" in giant.err
    for result in (missing, wrong, nothing, giant):
        assert "Traceback" not in result.err + result.out
