"""Whole-source scans: every input kind, the JSON contract, individuals and minors, bad input."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from dataport.catalog import sources
from dataport.classify.executors import Executor, scan_source
from dataport.classify.grading import grading_pack
from dataport.classify.report import render_html
from dataport.classify.scan import CatalogueItem, ScanOptions, Unit
from dataport.classify.schemas import ScanResult
from dataport.db import redact_url
from dataport.errors import SourceError
from dataport.samples.customers import customers, write_csv
from tests.classify import generators as gen
from tests.conftest import Database

AS_OF = dt.date(2025, 6, 1)
ROWS = 1_200


@pytest.fixture(scope="module")
def people() -> pl.DataFrame:
    return customers(ROWS, seed=11, today=AS_OF)


def truth_minors(frame: pl.DataFrame) -> int:
    """Children under 14 on AS_OF, from the birth dates, in plain Python."""
    count = 0
    for born in frame["出生日期"]:
        day = dt.date.fromisoformat(born)
        age = AS_OF.year - day.year - ((AS_OF.month, AS_OF.day) < (day.month, day.day))
        count += age < 14
    return count


def scan(path: str, tmp_path: Path, **options: object) -> ScanResult:
    spec = sources.resolve(path, **options.pop("resolve", {}))  # type: ignore[arg-type]
    return scan_source(
        spec,
        options=ScanOptions(as_of=AS_OF, **options),  # type: ignore[arg-type]
        pack=grading_pack(),
        workdir=tmp_path / "work",
    )


def categories(result: ScanResult) -> dict[str, list[str]]:
    return {c.name: c.categories for c in result.columns}


EXPECTED = {
    "客户编号": [],
    "姓名": ["person_name"],
    "性别": [],
    "身份证号": ["cn_resident_id", "minor"],
    "出生日期": ["birth_date"],
    "手机号": ["cn_mobile"],
    "电子邮箱": ["email"],
    "住址": ["address"],
    "银行卡号": ["bank_card"],
    "注册时间": [],
    "累计消费金额": [],
    "会员等级": [],
}


def assert_customers(result: ScanResult, frame: pl.DataFrame) -> None:
    found = categories(result)
    assert {k: sorted(v) for k, v in found.items()} == {k: sorted(v) for k, v in EXPECTED.items()}
    assert result.individuals.estimate == frame["身份证号"].n_unique()
    assert result.individuals.method == "exact"
    assert result.individuals.minors == truth_minors(frame) > 0
    assert result.contains_pi
    assert result.contains_sensitive
    assert result.dataset_grade == "general_4"


def test_a_csv_scan_finds_every_category_counts_people_and_minors(
    people: pl.DataFrame, tmp_path: Path
) -> None:
    path = write_csv(people, tmp_path / "customers.csv")
    result = scan(str(path), tmp_path, sample_rows=None)
    assert_customers(result, people)
    assert result.sample.mode == "full"
    assert result.sample.rows_scanned == ROWS
    grades = {c.name: c.grade for c in result.columns}
    assert grades["身份证号"] == "general_4"
    assert grades["手机号"] == "general_3"
    assert grades["会员等级"] == "general_1"


def test_the_json_contract_holds_and_never_carries_raw_personal_data(
    people: pl.DataFrame, tmp_path: Path
) -> None:
    path = write_csv(people, tmp_path / "customers.csv")
    result = scan(str(path), tmp_path)
    document = json.loads(result.model_dump_json())
    assert {"columns", "individuals", "dataset_grade", "contains_sensitive"} <= set(document)
    for column in document["columns"]:
        assert {"name", "categories", "is_pi", "is_sensitive", "grade"} <= set(column)
        for finding in column["findings"]:
            assert {"matched", "ratio", "confidence", "examples"} <= set(finding)
    assert {"estimate", "minors", "method"} <= set(document["individuals"])
    text = result.model_dump_json() + render_html(result)
    for name in ("姓名", "身份证号", "手机号", "电子邮箱", "银行卡号"):
        for value in people[name].head(200):
            assert value not in text, (name, "raw value in the output")


def test_a_gbk_csv_is_read_in_its_encoding(people: pl.DataFrame, tmp_path: Path) -> None:
    path = write_csv(people, tmp_path / "legacy.csv", encoding="gb18030")
    result = scan(str(path), tmp_path, sample_rows=None)
    assert result.source.encoding == "gb18030"
    assert_customers(result, people)


def test_parquet_row_groups_run_in_worker_processes_with_the_same_result(
    people: pl.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "customers.parquet"
    people.write_parquet(path, row_group_size=600)
    spec = sources.resolve(str(path))
    options = ScanOptions(as_of=AS_OF, sample_rows=None)
    inline = scan_source(spec, options=options, pack=grading_pack(), workdir=tmp_path, workers=1)
    pooled = scan_source(
        spec, options=options, pack=grading_pack(), workdir=tmp_path, workers=2, parallel_bytes=0
    )
    assert_customers(pooled, people)
    assert inline.model_dump(exclude={"scanned_at", "elapsed_seconds"}) == pooled.model_dump(
        exclude={"scanned_at", "elapsed_seconds"}
    )


def test_threads_and_small_batches_give_the_one_thread_result(
    people: pl.DataFrame, tmp_path: Path
) -> None:
    path = write_csv(people, tmp_path / "customers.csv")
    # Small batches: many are read ahead while earlier ones are scanned, plans apply to most.
    small = {"sample_rows": None, "batch_rows": 150, "first_rows": 100}
    alone = scan(str(path), tmp_path, column_threads=1, **small)
    threaded = scan(str(path), tmp_path, column_threads=4, **small)
    assert_customers(threaded, people)
    exclude = {"scanned_at", "elapsed_seconds"}
    assert threaded.model_dump(exclude=exclude) == alone.model_dump(exclude=exclude)


def small_batches(frame: pl.DataFrame, tmp_path: Path, *, threads: int) -> tuple[Unit, ScanOptions]:
    """``frame`` as a CSV unit, and options reading it in batches of 150 rows after a learning
    head of 100."""
    path = write_csv(frame, tmp_path / "customers.csv")
    spec = sources.resolve(str(path))
    unit = Unit(spec=spec, path=str(path), workdir=str(tmp_path), samples_free_text=False)
    options = ScanOptions(
        as_of=AS_OF, sample_rows=None, batch_rows=150, first_rows=100, column_threads=threads
    )
    return unit, options


def test_a_unit_s_parts_examined_side_by_side_give_what_one_after_another_gives(
    people: pl.DataFrame, tmp_path: Path
) -> None:
    import dataclasses

    from dataport.classify.column import ColumnPlan, merge_states
    from dataport.classify.scan import PartialScan, scan_frame, scan_unit

    rng = gen.seeded(3)
    # Phones appear in the notes only after the first batches: later plans must follow them.
    notes = [
        f"客户联系电话{gen.mobile(rng)}" if i > 500 and rng.random() < 0.3 else "已回访"
        for i in range(people.height)
    ]
    frame = people.with_columns(pl.Series("备注", notes))
    unit, options = small_batches(frame, tmp_path, threads=3)
    side_by_side = scan_unit(unit, options)
    spec, path = unit.spec, Path(str(unit.path))

    # The same parts one after another: the learning head, the rest of the first batch, then
    # every batch planned by all the parts before it.
    batches = list(sources.iter_batches(spec, path, batch_rows=150))
    parts = [batches[0].head(100), batches[0].slice(100), *batches[1:]]
    one_by_one, states = PartialScan(), dict[str, dict[str, str]]()
    for index, part in enumerate(parts):
        plans = {n: ColumnPlan.after(s) for n, s in states.items()} if index else None
        found = scan_frame(part, options, plans=plans, free_text=False)
        one_by_one = one_by_one.merge(found)
        states = {n: merge_states(states.get(n, {}), s) for n, s in found.states.items()}

    assert side_by_side.rows == one_by_one.rows == frame.height
    assert side_by_side.order == one_by_one.order
    assert side_by_side.states == one_by_one.states
    assert side_by_side.states["备注"]["cn_mobile"] == "active"
    for name, found in one_by_one.columns.items():
        again = side_by_side.columns[name]
        assert again.non_null == found.non_null, name
        for category, evidence in found.evidence.items():
            assert dataclasses.asdict(again.evidence[category]) == dataclasses.asdict(evidence), (
                name,
                category,
            )
    for sketch in ("individuals", "sensitive", "minors"):
        ours, theirs = getattr(side_by_side, sketch), getattr(one_by_one, sketch)
        assert ours.count() == theirs.count() > 0, sketch
    assert side_by_side.pi_rows == one_by_one.pi_rows
    assert side_by_side.identifiers.keys() == one_by_one.identifiers.keys()


def test_whether_cells_repeat_is_estimated_until_a_long_part_shows_it_then_followed(
    people: pl.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataport.classify import column
    from dataport.classify.scan import scan_unit

    # Parts of 150 rows tell later ones; the learning head (100) and the rest of the first
    # batch (50) are too short to.
    monkeypatch.setattr(column, "_DEDUP_MIN_CELLS", 10)
    monkeypatch.setattr(column, "_REPEATS_TOLD_CELLS", 150)
    estimated: list[str | None] = []
    worth = column._worth_deduplicating

    def counting(text: pl.Series, non_null: int, deduplicate: bool | None) -> bool:
        if deduplicate is None:
            estimated.append(text.name)
        return worth(text, non_null, deduplicate)

    monkeypatch.setattr(column, "_worth_deduplicating", counting)
    result = scan_unit(*small_batches(people, tmp_path, threads=2))
    assert result.rows == people.height >= 4 * 150
    # Head, rest of the first batch, second batch; the later batches follow the second.
    assert estimated.count("身份证号") == 3
    assert estimated.count("手机号") == 3


def test_a_parquet_sample_takes_row_groups_from_the_whole_file_and_says_so(
    people: pl.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "customers.parquet"
    people.write_parquet(path, row_group_size=100)
    result = scan(str(path), tmp_path, sample_rows=300)
    assert result.sample.mode == "sample"
    assert result.sample.rows_scanned == 300
    assert result.sample.rows_total == ROWS
    assert "row groups spread through the file" in result.sample.description.en
    assert "--full" in result.sample.description.zh


def test_json_lines_and_excel_are_scanned(people: pl.DataFrame, tmp_path: Path) -> None:
    small = people.head(300)
    jsonl = tmp_path / "customers.jsonl"
    small.write_ndjson(jsonl)
    excel = tmp_path / "customers.xlsx"
    small.write_excel(excel, worksheet="客户")
    for path, kind in ((jsonl, "jsonl"), (excel, "excel")):
        result = scan(str(path), tmp_path, sample_rows=None)
        assert result.source.format == kind
        assert_customers(result, small)


def test_identifiers_inside_records_and_lists_are_found(
    people: pl.DataFrame, tmp_path: Path
) -> None:
    # Application logs nest: a record per customer, a list of their phones. Both are read as
    # their JSON text, in which identifiers are found as in free text.
    small = people.head(300)
    nested = small.select(
        pl.struct(phone=pl.col("手机号"), id_number=pl.col("身份证号")).alias("customer"),
        pl.concat_list(pl.col("手机号"), pl.col("手机号")).alias("phones"),
        pl.col("会员等级").alias("tier"),
    )
    path = tmp_path / "events.jsonl"
    nested.write_ndjson(path)
    result = scan(str(path), tmp_path, sample_rows=None)
    found = categories(result)
    assert set(found["customer"]) >= {"cn_mobile", "cn_resident_id"}
    assert found["phones"] == ["cn_mobile"]
    assert found["tier"] == []
    assert result.individuals.estimate == small["身份证号"].n_unique()
    assert not any(v in result.model_dump_json() for v in small["手机号"].to_list())
    # Polars writes no bytes as JSON: a record holding some is judged by its name, as bytes are.
    frames = nested.with_columns(
        pl.struct(pl.col("customer"), pl.lit(b"\x00\x01").alias("frame")).alias("raw")
    )
    frames.write_parquet(tmp_path / "events.parquet")
    found = categories(scan(str(tmp_path / "events.parquet"), tmp_path, sample_rows=None))
    assert (found["raw"], found["phones"]) == ([], ["cn_mobile"])


def test_a_table_of_the_database_the_suite_runs_on_is_scanned(
    people: pl.DataFrame, database: Database, tmp_path: Path
) -> None:
    small = people.head(300)
    table = "scan_source_customers"
    meta = sa.MetaData()
    created = sa.Table(
        table,
        meta,
        *(
            sa.Column(name, sa.Float if dtype == pl.Float64 else sa.String(200))
            for name, dtype in small.schema.items()
        ),
    )
    with database.engine.begin() as conn:
        meta.create_all(conn)
        conn.execute(created.insert(), small.to_dicts())
    try:
        result = scan(database.url, tmp_path, sample_rows=None, resolve={"table": table})
    finally:
        with database.engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE {table}"))
    assert result.source.format == "database"
    assert result.source.location == redact_url(database.url)
    assert_customers(result, small)


def test_an_fsspec_url_is_staged_and_scanned(people: pl.DataFrame, tmp_path: Path) -> None:
    import fsspec

    small = people.head(200)
    with fsspec.open("memory://exports/customers.parquet", "wb") as fh:
        small.write_parquet(fh)
    result = scan("memory://exports/customers.parquet", tmp_path, sample_rows=None)
    assert result.source.location == "memory://exports/customers.parquet"
    assert_customers(result, small)
    assert list((tmp_path / "work").iterdir()) == []  # the staged copy is gone


def test_the_catalogue_marks_notified_columns_as_important(
    people: pl.DataFrame, tmp_path: Path
) -> None:
    path = write_csv(people.head(200), tmp_path / "customers.csv")
    item = CatalogueItem("item-1", "会员消费数据", "important", ("累计 消费金额", "other"))
    result = scan_source(
        sources.resolve(str(path)),
        options=ScanOptions(as_of=AS_OF),
        pack=grading_pack(),
        workdir=tmp_path,
        catalogue=[item],
    )
    assert result.important_data.contains
    assert [m.column for m in result.important_data.matches] == ["累计消费金额"]
    assert result.dataset_grade == "important"


def test_the_ray_executor_gives_the_local_result(people: pl.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "customers.parquet"
    people.write_parquet(path, row_group_size=600)
    spec = sources.resolve(str(path))
    options = ScanOptions(as_of=AS_OF, sample_rows=None)
    local = scan_source(spec, options=options, pack=grading_pack(), workdir=tmp_path, workers=1)
    remote = scan_source(
        spec,
        options=options,
        pack=grading_pack(),
        workdir=tmp_path,
        executor=Executor.ray,
        parallel_bytes=0,
    )
    assert remote.model_dump(exclude={"scanned_at", "elapsed_seconds"}) == local.model_dump(
        exclude={"scanned_at", "elapsed_seconds"}
    )


def test_an_html_report_is_self_contained_and_bilingual(
    people: pl.DataFrame, tmp_path: Path
) -> None:
    path = write_csv(people.head(300), tmp_path / "customers.csv")
    page = render_html(scan(str(path), tmp_path))
    assert page.startswith("<!DOCTYPE html>")
    assert "<svg" in page
    assert "<script" not in page
    assert "http://" not in page.replace("http://www.w3.org", "")
    assert "https://" not in page
    assert "数据集级别" in page
    assert "Dataset grade" in page


@pytest.mark.parametrize(
    ("content", "declared", "message"),
    [
        (None, None, "no such file"),
        (b"", None, "is empty"),
        ("姓名,电话\n张三,13812345678\n".encode("gb18030"), "utf-8", "not valid utf-8 text"),
        (b"name,phone\n", None, "has no rows"),
        (b"a,b\n1,2\n3,4,5\n", None, "row 3 has 3 fields but the header has 2"),
        (b"PK\x03\x04\x00\x00binary", None, "binary file"),
    ],
    ids=["missing", "zero-bytes", "wrong-encoding", "header-only", "ragged-row", "binary"],
)
def test_bad_input_is_a_clear_error(
    content: bytes | None, declared: str | None, message: str, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SourceError, match=message) as raised:
        scan(str(path), tmp_path, resolve={"encoding": declared} if declared else {})
    assert str(path) in raised.value.en


def test_a_huge_single_value_is_refused_naming_its_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "blob.parquet"
    pl.DataFrame(
        {"id": ["1", "2", "3"], "note": ["short", "x" * (3 << 20), "short"]}
    ).write_parquet(path)
    with pytest.raises(SourceError, match=r"row 2, column 'note'.*3 MB") as raised:
        scan(str(path), tmp_path, max_cell_bytes=1 << 20)
    assert raised.value.details["row"] == 2


def test_a_huge_value_in_a_later_batch_stops_the_scan_naming_its_row(
    people: pl.DataFrame, tmp_path: Path
) -> None:
    # Earlier batches are still being examined when the bad one is read.
    notes = ["x" * (2 << 20) if i == 749 else "ok" for i in range(people.height)]
    path = tmp_path / "blob.parquet"
    people.with_columns(pl.Series("备注", notes)).write_parquet(path)
    with pytest.raises(SourceError, match=r"row 750, column '备注'.*2 MB") as raised:
        scan(str(path), tmp_path, sample_rows=None, batch_rows=100, max_cell_bytes=1 << 20)
    assert raised.value.details["row"] == 750


def test_hong_kong_macau_and_taiwan_id_cards_count_individuals(tmp_path: Path) -> None:
    rng = random.Random(7)  # noqa: S311 - test data, not secrets
    people = {
        "香港身份证": [gen.hk_id(rng) for _ in range(40)],
        "澳门身份证": [gen.macau_id(rng) for _ in range(40)],
        "台湾身份证": [gen.taiwan_id(rng) for _ in range(40)],
    }
    # One card holder per row, each of them on two rows: 240 rows, 120 people.
    rows: list[dict[str, str | None]] = [
        {other: (value if other == column else None) for other in people}
        for column, values in people.items()
        for value in values * 2
    ]
    path = tmp_path / "cards.csv"
    pl.DataFrame(rows, schema=dict.fromkeys(people, pl.String)).write_csv(path)
    result = scan(str(path), tmp_path)
    assert categories(result) == {
        "香港身份证": ["hk_id_card"],
        "澳门身份证": ["macau_id_card"],
        "台湾身份证": ["taiwan_id_card"],
    }
    distinct = sum(len(set(values)) for values in people.values())
    assert result.individuals.estimate == distinct
    assert result.individuals.method == "exact"
