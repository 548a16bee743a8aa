"""Names and addresses in free text, from a bounded sample: accuracy on a table, and the scan."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
import yaml
from faker import Faker

from dataport.catalog import sources
from dataport.classify import freetext
from dataport.classify.executors import scan_source
from dataport.classify.grading import grading_pack
from dataport.classify.report import render_html
from dataport.classify.scan import ScanOptions, plan_units
from dataport.classify.schemas import ScanResult

CASES = yaml.safe_load(
    (Path(__file__).parent / "data" / "freetext_cases.yaml").read_text(encoding="utf-8")
)["cases"]
AS_OF = dt.date(2025, 6, 1)


def test_the_libraries_are_installed() -> None:
    # The dev install brings the freetext extra; without it the rest would pass vacuously.
    assert freetext.available()


def name_counts() -> tuple[int, int, int]:
    hits = false_alarms = misses = 0
    for case in CASES:
        found, wanted = set(freetext.names_in(case["text"])), set(case.get("names", []))
        hits += len(found & wanted)
        false_alarms += len(found - wanted)
        misses += len(wanted - found)
    return hits, false_alarms, misses


def test_names_in_the_case_table_are_found_with_known_precision_and_recall() -> None:
    # Measured when written: precision 35/43 = 0.81, recall 35/41 = 0.85 (see docs/classify.md).
    hits, false_alarms, misses = name_counts()
    assert hits / (hits + false_alarms) >= 0.78
    assert hits / (hits + misses) >= 0.8


def test_addresses_in_the_case_table_are_found() -> None:
    found = freetext.addresses_in([c["text"] for c in CASES])
    wanted = [bool(c.get("address")) for c in CASES]
    hits = sum(1 for f, w in zip(found, wanted, strict=True) if f and w)
    assert hits == sum(wanted)  # measured: 15 of 15
    assert sum(1 for f in found if f) == hits  # and no trap


@pytest.mark.parametrize(
    ("text", "names"),
    [
        # 由 is glued to the name; 高峰 (rush hour) is a known false alarm.
        ("高峰期间由罗军负责现场调度。", ["高峰", "罗军"]),
        ("家住北京市朝阳区建国路88号的李先生反映噪音问题。", []),  # a form of address, not a name
        ("董事长袁立新出席了签约仪式。", ["袁立新"]),  # surname cut off by the segmenter
        ("投保人郑海涛申请变更受益人。", ["郑海涛"]),
        ("黄山风景区门票已售罄，请游客改日前往。", []),
        ("华为技术有限公司与小米科技签署合作协议。", []),
        ("王老吉凉茶在夏季销量很好。", []),
    ],
)
def test_names_in_text(text: str, names: list[str]) -> None:
    assert freetext.names_in(text) == names


def test_an_address_is_cut_at_its_house_number() -> None:
    [found] = freetext.addresses_in(["发货地址：杭州西湖区文三路90号，电话13800138000。"])
    assert found == "浙江省杭州市西湖区文三路90号"


def test_only_free_text_cells_are_sampled_and_at_most_the_bound() -> None:
    cells = pl.Series(
        ["客户张伟来电投诉，称快递三天未到。"] * (freetext.SAMPLE_CELLS + 50)
        + ["上海市徐汇区虹漕路461号", "短句。", None]
    )
    assert len(freetext.free_text_cells(cells)) == freetext.SAMPLE_CELLS
    # An address or a name alone is a value for the detectors, not free text.
    assert freetext.free_text_cells(pl.Series(["上海市徐汇区虹漕路461号", "王秀英"])) == []
    assert freetext.free_text_cells(pl.Series([1, 2, 3])) == []


def test_examined_samples_keep_masked_examples_only() -> None:
    evidence = freetext.examine(
        ["收货人林芳，地址厦门市思明区湖滨南路388号。", "请转告陈晓明，会议改到下午三点。"]
    )
    assert (evidence.sampled, evidence.names, evidence.addresses) == (2, 2, 1)
    assert set(evidence.name_examples) == {"林*", "陈**"}
    assert evidence.address_examples == ("福建省厦门市思明区****",)


def scan(path: Path, tmp_path: Path) -> ScanResult:
    return scan_source(
        sources.resolve(str(path)),
        options=ScanOptions(as_of=AS_OF),
        pack=grading_pack(),
        workdir=tmp_path / "work",
    )


def test_a_scan_reports_names_in_notes_from_a_sample_and_says_so(tmp_path: Path) -> None:
    fake = Faker("zh_CN")
    fake.seed_instance(7)
    rows = 600
    notes = [
        f"客户{fake.name()}来电，反映订单{fake.random_int(1000, 9999)}未发货。"
        if i % 3 == 0
        else fake.sentence()
        for i in range(rows)
    ]
    # Brands, landmarks, historical figures and words jieba tags as names, again and again.
    traps = [c["text"] for c in CASES if not c.get("names") and not c.get("address")]
    frame = pl.DataFrame(
        {
            "备注": notes,
            "商品描述": [fake.sentence() for _ in range(rows)],
            "评论": [traps[i % len(traps)] for i in range(rows)],
        },
    )
    path = tmp_path / "notes.csv"
    frame.write_csv(path)
    result = scan(path, tmp_path)
    columns = {c.name: c for c in result.columns}
    [finding] = columns["备注"].findings
    assert finding.category == "person_name"
    assert finding.sample is not None
    assert finding.sample.cells == freetext.SAMPLE_CELLS
    assert finding.sample.matched == finding.matched
    assert finding.ratio == pytest.approx(finding.matched / finding.sample.cells, abs=1e-4)
    assert columns["备注"].categories == ["person_name"]
    assert columns["备注"].grade == "general_3"
    assert columns["商品描述"].categories == []
    assert columns["评论"].categories == []
    assert result.dataset_grade == "general_3"
    # Nothing raw leaves the scan: each example is a surname and stars.
    assert all(set(e[1:]) == {"*"} for e in finding.examples)
    text = json.dumps(result.model_dump(mode="json"), ensure_ascii=False)
    assert not any(note.split("来电")[0][2:] in text for note in notes[::3])
    html = render_html(result)
    assert f"自由文本抽样 · free-text sample {finding.matched}/{finding.sample.cells}" in html


def test_a_scan_split_among_workers_samples_free_text_once(tmp_path: Path) -> None:
    fake = Faker("zh_CN")
    fake.seed_instance(8)
    notes = [f"客户{fake.name()}来电，订单{fake.random_int(1000, 9999)}未发。" for _ in range(900)]
    path = tmp_path / "notes.parquet"
    # Three row groups: two units of work when two workers share the file.
    pl.DataFrame({"备注": notes}).write_parquet(path, row_group_size=300)
    spec = sources.resolve(str(path))
    options = ScanOptions(as_of=AS_OF, sample_rows=None)
    plan = plan_units(spec, path, options, workdir=tmp_path, parts=2)
    assert [u.samples_free_text for u in plan.units] == [True, False]
    result = scan_source(
        spec,
        options=options,
        pack=grading_pack(),
        workdir=tmp_path / "work",
        workers=2,
        parallel_bytes=1,
    )
    assert result.sample.rows_scanned == len(notes)
    [finding] = result.columns[0].findings
    assert finding.sample is not None
    # Both halves of the file were scanned, but only the first unit drew the sample.
    assert finding.sample.cells == freetext.SAMPLE_CELLS
