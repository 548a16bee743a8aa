"""Reading sources: every supported kind, and every kind of bad input, named clearly."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

import fsspec
import polars as pl
import pytest
import sqlalchemy as sa
import xlsxwriter

from dataport.catalog import sources
from dataport.catalog.models import SourceKind
from dataport.config import Settings
from dataport.errors import PermissionDenied, SourceError
from tests.conftest import TEST_DATABASE_URL, is_postgres
from tests.servers import free_port, serving

CSV = "姓名,手机号,城市\n张三,13812345678,上海\n李四,13987654321,北京\n"


def read(path: Path | str, tmp_path: Path, **kwargs: str) -> sources.Inspection:
    spec = sources.resolve(str(path), **kwargs)
    return sources.inspect(spec, workdir=tmp_path / "work")


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# -- what a location names ----------------------------------------------------------------


def test_resolve_kinds_and_formats(tmp_path: Path) -> None:
    assert sources.resolve("data.CSV").format == "csv"
    assert sources.resolve("x.tsv").format == "tsv"
    assert sources.resolve("x.parquet").format == "parquet"
    assert sources.resolve("x.ndjson").format == "jsonl"
    assert sources.resolve("x.xlsx").format == "excel"
    assert sources.resolve("x.txt", format="csv").format == "csv"
    spec = sources.resolve("relative.csv")
    assert spec.kind is SourceKind.file
    assert Path(spec.location).is_absolute()
    assert sources.resolve(f"file://{tmp_path}/a.csv").location == f"{tmp_path}/a.csv"
    assert sources.resolve("memory://bucket/a.csv").kind is SourceKind.url
    db = sources.resolve("postgresql+psycopg://u:secret@h/db", table="public.t")
    assert db.kind is SourceKind.database
    assert "secret" not in db.display


@pytest.mark.parametrize(
    ("location", "kwargs", "field"),
    [
        ("data.dat", {}, "format"),
        ("data.csv", {"format": "xml"}, "format"),
        ("sqlite:///x.db", {}, "table"),
        ("data.csv", {"table": "t"}, "table"),
        ("data.csv", {"sheet": "Sheet1"}, "sheet"),
        ("data.csv", {"encoding": "klingon"}, "encoding"),
        ("   ", {}, "source"),
    ],
)
def test_resolve_refuses_what_cannot_be_read(
    location: str, kwargs: dict[str, str], field: str
) -> None:
    with pytest.raises(SourceError) as info:
        sources.resolve(location, **kwargs)
    assert info.value.field == field


# -- files that read --------------------------------------------------------------------


def test_csv_schema_rows_and_hash(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(CSV, encoding="utf-8")
    result = read(path, tmp_path)
    assert result.row_count == 2
    assert [c.name for c in result.columns] == ["姓名", "手机号", "城市"]
    assert result.columns[1].type == "int64"
    assert result.encoding == "utf-8"
    assert result.content_hash == sha256(path.read_bytes())
    assert result.byte_size == path.stat().st_size


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "gb2312"])
def test_chinese_legacy_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(CSV.encode(encoding))
    result = read(path, tmp_path)
    assert result.encoding == "gb18030"
    assert [c.name for c in result.columns] == ["姓名", "手机号", "城市"]
    assert result.row_count == 2


def test_gbk_bytes_after_a_long_ascii_prefix_are_still_read(tmp_path: Path) -> None:
    # The first megabyte gives no hint; the Chinese text only comes later.
    ascii_rows = "".join(f"id{i},{i},city\n" for i in range(120_000))
    data = ("name,number,city\n" + ascii_rows + "张三,1,上海\n").encode("gbk")
    assert len(data) > (1 << 20)
    path = tmp_path / "late.csv"
    path.write_bytes(data)
    result = read(path, tmp_path)
    assert result.encoding == "gb18030"
    assert result.row_count == 120_001


def test_utf16_and_utf8_bom(tmp_path: Path) -> None:
    utf16 = tmp_path / "u16.csv"
    utf16.write_bytes(CSV.encode("utf-16"))
    assert read(utf16, tmp_path).row_count == 2
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + CSV.encode())
    result = read(bom, tmp_path)
    assert result.columns[0].name == "姓名"


def test_declared_encoding_wins(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes(CSV.encode("gbk"))
    assert read(path, tmp_path, encoding="GBK").encoding == "gbk"


def test_tsv_and_quoted_newlines(tmp_path: Path) -> None:
    path = tmp_path / "notes.tsv"
    path.write_text('id\tnote\n1\t"line one\nline two"\n2\tplain\n', encoding="utf-8")
    result = read(path, tmp_path)
    assert result.row_count == 2
    assert [c.name for c in result.columns] == ["id", "note"]


def test_a_field_larger_than_the_first_block_size(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("w") as fh:
        fh.write("id,blob\n1,")
        fh.write("x" * (12 << 20))
        fh.write("\n2,small\n")
    assert read(path, tmp_path).row_count == 2


def batches_of(path: Path, rows: int = 2) -> list[pl.DataFrame]:
    return list(sources.iter_batches(sources.resolve(str(path)), path, batch_rows=rows))


QUOTED = (
    b'id,note,city\r\n1,"line one\r\nline two",\r\n2,"",\xe4\xb8\x8a\xe6\xb5\xb7\r\n'
    b'3,"say ""hi""\n, twice",x\r\n\r\n4,plain,\r\n5,"a\n\n",z'
)


@pytest.mark.parametrize("tail", [1, 3, 64 << 10])
@pytest.mark.parametrize("block", [1, 5, 17, 64, 1 << 20])
def test_csv_blocks_cut_only_between_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int, tail: int
) -> None:
    # Quoted line breaks across block ends, CRLF, a blank line, empty fields, no final newline;
    # the end of a block looked for in a tail shorter than a record, or holding a quoted one.
    monkeypatch.setattr(sources, "_POLARS_BLOCK", block)
    monkeypatch.setattr(sources, "_TAIL", tail)
    path = tmp_path / "quoted.csv"
    path.write_bytes(QUOTED)
    batches = batches_of(path)
    assert [b.height for b in batches] == [2, 2, 2]
    assert pl.concat(batches).rows() == [
        ("1", "line one\r\nline two", None),
        ("2", "", "上海"),
        ("3", 'say "hi"\n, twice', "x"),
        (None, None, None),
        ("4", "plain", None),  # an empty field is null, a quoted one ""
        ("5", "a\n\n", "z"),
    ]


@pytest.mark.parametrize("tail", [2, 64 << 10])
@pytest.mark.parametrize("block", [1, 3, 1 << 20])
@pytest.mark.parametrize(
    "body",
    [
        b"a\tb\n1\t2\n",
        b"a\tb\n1\t\n\n\t2\n",
        b'\n\na\tb\n"x\ty"\t2\n3\t"\n"',
        b"a\tb\r\n1\t2\r\n3\t4",
    ],
)
def test_tsv_blocks_give_what_polars_gives_for_the_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int, tail: int, body: bytes
) -> None:
    monkeypatch.setattr(sources, "_POLARS_BLOCK", block)
    monkeypatch.setattr(sources, "_TAIL", tail)
    path = tmp_path / "t.tsv"
    path.write_bytes(body)
    got = pl.concat(batches_of(path, rows=1))
    whole = pl.read_csv(body, separator="\t", infer_schema=False)
    assert got.columns == whole.columns == ["a", "b"]
    assert got.rows() == whole.rows()


def test_blocks_after_leading_blank_lines_are_of_the_usual_size(tmp_path: Path) -> None:
    # The first block grows until it holds the header; the ones after it do not stay that large.
    path = tmp_path / "blank-start.csv"
    path.write_bytes(b"\n" * 400 + b"a,b\n" + b"1,2\n" * 1_000)
    frames = list(sources._polars_csv_blocks(path, ",", 16))
    assert sum(f.height for f in frames) == 1_000
    assert max(f.height for f in frames[1:]) <= 4  # 16-byte blocks of 4-byte records


@pytest.mark.parametrize("body", [b"a,b,c\n", b"a,b,c\r\n", b"\na,b,c\n"])
def test_a_header_only_csv_has_no_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: bytes
) -> None:
    monkeypatch.setattr(sources, "_POLARS_BLOCK", 2)
    path = tmp_path / "header.csv"
    path.write_bytes(body)
    assert batches_of(path) == []


def test_the_scan_reader_checks_the_header_as_written(tmp_path: Path) -> None:
    # Polars renames repeated and empty names; the header is checked as the file writes it.
    for body, problem in (
        ("a,b,a\n1,2,3\n", "'a' appears more than once"),
        ("\n\na,b,a\n1,2,3\n", "'a' appears more than once"),
        ("a,,c\n1,2,3\n", "column 2 has no name"),
    ):
        path = tmp_path / "header.csv"
        path.write_text(body)
        with pytest.raises(SourceError, match=problem):
            batches_of(path)
    # A quoted name may hold the delimiter and a line break; blank lines before it are skipped.
    path = tmp_path / "quoted.csv"
    path.write_text('\n"name, full","line\nbreak"\nx,y\n')
    [batch] = batches_of(path)
    assert batch.columns == ["name, full", "line\nbreak"]
    assert batch.rows() == [("x", "y")]


def test_a_bad_row_in_a_later_block_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sources, "_POLARS_BLOCK", 8)
    path = tmp_path / "late.csv"
    path.write_text("a,b,c\n1,2,3\n4,5,6\n7,8,9,10\n")
    with pytest.raises(SourceError, match="row 4 has 4 fields but the header has 3"):
        batches_of(path, rows=1)


def test_a_quote_that_never_closes_is_not_read_as_one_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without a limit the block reader would copy the rest of the file into one block,
    # whatever its size; it stops at a scan block and Arrow reads the file as it always has.
    monkeypatch.setattr(sources, "_POLARS_BLOCK", 64 << 10)
    monkeypatch.setattr(sources, "SCAN_BLOCK", 1 << 20)
    path = tmp_path / "stray.csv"
    path.write_text('a,b\n1,"never closed\n' + "2,x\n" * 500_000)
    spec = sources.resolve(str(path))
    with pytest.raises(pl.exceptions.ComputeError, match="longer than a scan block"):
        list(sources._polars_csv_batches(path, spec, 1_000))
    [batch] = batches_of(path, rows=1_000)
    assert batch.height == 1
    assert batch.item(0, "b").startswith("never closed\n2,x\n")


def test_late_values_of_another_type_are_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    rows = "".join(f"{i}\n" for i in range(300_000))
    path.write_text("n\n" + rows + "not-a-number\n")
    assert read(path, tmp_path).row_count == 300_001


def test_parquet(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pl.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]}).write_parquet(path)
    result = read(path, tmp_path)
    assert (result.row_count, [c.name for c in result.columns]) == (3, ["a", "b"])
    assert result.content_hash == sha256(path.read_bytes())


@pytest.mark.parametrize("groups", [None, (0,), (1, 2), (2,), (0, 2), ()])
def test_parquet_row_groups_are_read_in_batches(tmp_path: Path, groups: tuple[int, ...]) -> None:
    path = tmp_path / "groups.parquet"
    frame = pl.DataFrame(
        {
            "n": range(30),
            "名": [f"张{i}" for i in range(30)],
            "级": pl.Series([["金", "银"][i % 2] for i in range(30)], dtype=pl.Categorical),
        }
    )
    frame.write_parquet(path, row_group_size=10)
    spec = sources.resolve(str(path))
    batches = list(sources.iter_batches(spec, path, batch_rows=4, row_groups=groups))
    wanted = range(3) if groups is None else groups
    expected = pl.concat([frame.slice(10 * g, 10) for g in wanted]) if wanted else frame.clear()
    assert all(b.height <= 4 for b in batches)
    got = pl.concat(batches) if batches else frame.clear()
    assert got.schema == expected.schema
    assert got.to_dicts() == expected.to_dicts()


def test_consecutive_small_row_groups_are_read_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each read opens the file and its footer again: small groups are read a batch at a time.
    path = tmp_path / "small.parquet"
    frame = pl.DataFrame({"n": range(60), "名": [f"李{i}" for i in range(60)]})
    frame.write_parquet(path, row_group_size=3)
    reads = []
    scan = pl.scan_parquet
    monkeypatch.setattr(pl, "scan_parquet", lambda *a, **k: reads.append(a) or scan(*a, **k))
    spec = sources.resolve(str(path))
    assert pl.concat(sources.iter_batches(spec, path, batch_rows=8)).equals(frame)
    assert len(reads) - 1 == 7  # 20 groups of 3 rows, 9 rows at a time (one more read types it)
    reads.clear()
    groups = (0, 1, 2, 3, 7, 8, 5)
    batches = list(sources.iter_batches(spec, path, batch_rows=8, row_groups=groups))
    assert pl.concat(batches).equals(pl.concat([frame.slice(3 * g, 3) for g in groups]))
    assert len(reads) - 1 == 4  # 0-2, 3, 7-8, 5


def test_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"a": 1, "名": "张"}\n{"a": 2, "名": "李"}\n', encoding="utf-8")
    result = read(path, tmp_path)
    assert result.row_count == 2
    assert [c.name for c in result.columns] == ["a", "名"]


def test_excel_sheets(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    book = xlsxwriter.Workbook(str(path))
    first = book.add_worksheet("客户")
    for r, row in enumerate([["姓名", "年龄"], ["张三", 30], ["李四", 41], ["王五", 25]]):
        first.write_row(r, 0, row)
    second = book.add_worksheet("orders")
    second.write_row(0, 0, ["id"])
    second.write_row(1, 0, [1])
    book.close()
    result = read(path, tmp_path)
    assert (result.sheet, result.row_count) == ("客户", 3)
    assert [c.name for c in result.columns] == ["姓名", "年龄"]
    assert read(path, tmp_path, sheet="orders").row_count == 1
    with pytest.raises(SourceError, match="no sheet 'nope'"):
        read(path, tmp_path, sheet="nope")


def test_fsspec_urls_are_staged_and_cleaned_up(tmp_path: Path) -> None:
    fs = fsspec.filesystem("memory")
    with fs.open("/inbox/people.csv", "wb") as fh:
        fh.write(CSV.encode())
    result = read("memory://inbox/people.csv", tmp_path)
    assert result.row_count == 2
    assert result.content_hash == sha256(CSV.encode())
    assert list((tmp_path / "work").iterdir()) == []
    with pytest.raises(SourceError, match="no such object"):
        read("memory://inbox/missing.csv", tmp_path)


# -- files that do not read -------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"no such file: .*nope\.csv"):
        read(tmp_path / "nope.csv", tmp_path)


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "dir.csv"
    folder.mkdir()
    with pytest.raises(SourceError, match="is a directory"):
        read(folder, tmp_path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.touch()
    with pytest.raises(SourceError, match=r"is empty \(0 bytes\)"):
        read(path, tmp_path)


def test_binary_file_named_csv(tmp_path: Path) -> None:
    path = tmp_path / "image.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(2048))
    with pytest.raises(SourceError, match="binary file"):
        read(path, tmp_path)


def test_random_bytes_without_nul_are_not_text(tmp_path: Path) -> None:
    path = tmp_path / "noise.csv"
    data = bytes(b for b in os.urandom(8192) if b not in (0, 10, 13))
    path.write_bytes(data)
    with pytest.raises(SourceError, match="neither UTF-8 nor GB18030"):
        read(path, tmp_path)


@pytest.mark.parametrize(
    ("body", "row", "fields"),
    [("a,b,c\n1,2,3\n4,5,6,7\n", 3, 4), ("a,b,c\n1,2,3\n4,5,6\n7,8\n", 4, 2)],
)
def test_ragged_rows_are_named(tmp_path: Path, body: str, row: int, fields: int) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text(body)
    with pytest.raises(SourceError) as info:
        read(path, tmp_path)
    assert f"row {row} has {fields} fields but the header has 3" in str(info.value)
    assert info.value.details["row"] == row


def test_header_problems_are_named(tmp_path: Path) -> None:
    dup = tmp_path / "dup.csv"
    dup.write_text("a,b,a\n1,2,3\n")
    with pytest.raises(SourceError, match="'a' appears more than once"):
        read(dup, tmp_path)
    blank = tmp_path / "blank.csv"
    blank.write_text("a,,c\n1,2,3\n")
    with pytest.raises(SourceError, match="column 2 has no name"):
        read(blank, tmp_path)


def test_wrong_declared_encoding(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes(CSV.encode("gbk"))
    with pytest.raises(SourceError, match="not valid utf-8"):
        read(path, tmp_path, encoding="utf-8")


def test_not_parquet(tmp_path: Path) -> None:
    path = tmp_path / "fake.parquet"
    path.write_text(CSV)
    with pytest.raises(SourceError, match="not a Parquet file"):
        read(path, tmp_path)
    truncated = tmp_path / "truncated.parquet"
    pl.DataFrame({"a": list(range(1000))}).write_parquet(truncated)
    truncated.write_bytes(truncated.read_bytes()[:100])
    with pytest.raises(SourceError, match="not a valid Parquet file"):
        read(truncated, tmp_path)


def test_bad_json_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"a": 1}\n{"a": 2}\n{"a": \n{"a": 4}\n')
    with pytest.raises(SourceError, match="at line 3"):
        read(path, tmp_path)


def test_a_json_field_that_changes_kind_late_is_named_at_its_line(tmp_path: Path) -> None:
    # Far past the first block: Arrow counts rows within a block, so the line is ours.
    path = tmp_path / "events.jsonl"
    lines = [json.dumps({"id": i, "phone": "13812345678"}) for i in range(200_000)]
    path.write_text("\n".join([*lines, json.dumps({"id": "x", "phone": "139"})]) + "\n")
    found = r"at line 200001: field 'id' is text here but a number at line 1"
    with pytest.raises(SourceError, match=found):
        read(path, tmp_path)
    with pytest.raises(SourceError, match=found):
        batches_of(path, rows=100_000)


def test_gbk_json_lines_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "gbk.jsonl"
    path.write_bytes('{"姓名": "张三"}\n'.encode("gbk"))
    with pytest.raises(SourceError, match="must be UTF-8"):
        read(path, tmp_path)


def test_not_excel(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text(CSV)
    with pytest.raises(SourceError, match="not an Excel workbook"):
        read(path, tmp_path)


# -- database tables --------------------------------------------------------------------


@pytest.fixture
def table_url(tmp_path: Path) -> str:
    """A database holding a ``customers`` table: this run's PostgreSQL, or a SQLite file."""
    url = TEST_DATABASE_URL if is_postgres() else f"sqlite:///{tmp_path / 'source.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS dp_source_customers"))
        conn.execute(
            sa.text(
                "CREATE TABLE dp_source_customers (id INTEGER PRIMARY KEY, name VARCHAR(50), "
                "phone VARCHAR(20), joined DATE, spent NUMERIC(10,2))"
            )
        )
        conn.execute(
            sa.text("INSERT INTO dp_source_customers VALUES (:i, :n, :p, :d, :s)"),
            [
                {"i": i, "n": f"客户{i}", "p": f"138{i:08d}", "d": "2024-01-02", "s": i * 1.5}
                for i in range(1, 1001)
            ],
        )
    yield url
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS dp_source_customers"))
    engine.dispose()


def test_database_table(table_url: str, tmp_path: Path) -> None:
    result = read(table_url, tmp_path, table="dp_source_customers")
    assert result.row_count == 1000
    assert [c.name for c in result.columns] == ["id", "name", "phone", "joined", "spent"]
    again = read(table_url, tmp_path, table="dp_source_customers")
    assert again.content_hash == result.content_hash
    engine = sa.create_engine(table_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE dp_source_customers SET phone = '13900000000' WHERE id = 7"))
    engine.dispose()
    assert (
        read(table_url, tmp_path, table="dp_source_customers").content_hash != result.content_hash
    )


def test_unknown_table_lists_what_is_there(table_url: str, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"no table 'nope'.*dp_source_customers"):
        read(table_url, tmp_path, table="nope")


def test_unreachable_database(tmp_path: Path) -> None:
    url = "postgresql+psycopg://someone:hunter2@127.0.0.1:1/nowhere"
    with pytest.raises(SourceError, match="cannot connect to the database") as info:
        read(url, tmp_path, table="t")
    assert "hunter2" not in str(info.value)
    assert "hunter2" not in info.value.zh


# -- what an API caller may name ----------------------------------------------------------


def test_api_callers_may_only_name_allowed_sources(tmp_path: Path) -> None:
    org, other = uuid.uuid4(), uuid.uuid4()
    root = tmp_path / "inbox"
    settings = Settings(home=tmp_path, source_roots=[root])
    mine = root / str(org)
    mine.mkdir(parents=True)
    sources.check_allowed(sources.resolve(str(mine / "a.csv")), settings, org)
    for outside in (
        "/etc/passwd.csv",
        str(mine / ".." / "secret.csv"),
        str(root / "a.csv"),
        str(root / str(other) / "a.csv"),  # another tenant's uploads
    ):
        with pytest.raises(PermissionDenied):
            sources.check_allowed(sources.resolve(outside), settings, org)
    escape = mine / "link.csv"
    escape.symlink_to(tmp_path / "secret.csv")
    with pytest.raises(PermissionDenied):
        sources.check_allowed(sources.resolve(str(escape)), settings, org)
    with pytest.raises(PermissionDenied):
        sources.check_allowed(sources.resolve("s3://bucket/a.csv"), settings, org)
    with pytest.raises(PermissionDenied):
        sources.check_allowed(sources.resolve("sqlite:///x.db", table="t"), settings, org)
    allowed = Settings(home=tmp_path, remote_schemes=["s3"], api_database_sources=True)
    sources.check_allowed(sources.resolve("s3://bucket/a.csv"), allowed, org)
    sources.check_allowed(sources.resolve("sqlite:///x.db", table="t"), allowed, org)


def test_json_lines_hash_is_of_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    data = json.dumps({"a": 1}).encode() + b"\n"
    path.write_bytes(data)
    assert read(path, tmp_path).content_hash == sha256(data)


@pytest.mark.parametrize("rows", [3, 200_000])
def test_a_file_cut_inside_a_character_names_the_line(tmp_path: Path, rows: int) -> None:
    # Cut in the middle of the last row's last character: the scan names that line, whether
    # the damage is in the first block Arrow reads or far into the file.
    path = tmp_path / "cut.csv"
    body = "姓名,城市\n" + "张三,上海\n" * rows
    path.write_bytes(body.encode()[:-2])
    with pytest.raises(SourceError, match=f"line {rows + 1} is not valid utf-8") as raised:
        batches_of(path, rows=100_000)
    assert f"第 {rows + 1} 行" in str(raised.value.zh)


def test_utf8_damaged_after_a_long_ascii_prefix_is_not_read_as_gbk(tmp_path: Path) -> None:
    # UTF-8 characters before the fault say the file is UTF-8: registering and scanning it
    # name the damaged line instead of reading the whole file as GBK.
    ascii_rows = "".join(f"id{i},{i},city\n" for i in range(120_000))
    data = ("name,number,city\n" + ascii_rows + "张三,1,上海\n").encode() + b"\xff,2,x\n"
    path = tmp_path / "damaged.csv"
    path.write_bytes(data)
    with pytest.raises(SourceError, match="line 120003 is not valid utf-8"):
        read(path, tmp_path)
    with pytest.raises(SourceError, match="line 120003 is not valid utf-8"):
        batches_of(path, rows=100_000)


def test_a_file_neither_encoding_decodes_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes("a,b\n张三,1\n".encode() + b"\xff\xfe,2\n")
    found = r"neither UTF-8 .* breaks at line 3, as GB18030 at line 3"
    with pytest.raises(SourceError, match=found):
        read(path, tmp_path)


def test_text_full_of_control_characters_is_called_binary(tmp_path: Path) -> None:
    path = tmp_path / "controls.csv"
    path.write_text("a,b\n" + "\x01\x02\x03,x\n" * 200)
    with pytest.raises(SourceError, match="control characters"):
        read(path, tmp_path)


def highly_compressible_workbook(path: Path, rows: int) -> None:
    """A workbook whose sheet repeats one row: it packs more than ten times smaller."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("s")
    sheet.write_row(0, 0, ["手机号", "备注"])
    for row in range(1, rows + 1):
        sheet.write_row(row, 0, ["13812345678", "同一行内容"])
    book.close()


def test_a_workbook_that_unpacks_beyond_the_limit_is_refused_unopened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bomb.xlsx"
    highly_compressible_workbook(path, 20_000)
    unpacked = sources.check_workbook(path, "bomb.xlsx")
    assert unpacked is not None
    assert unpacked > 10 * path.stat().st_size
    monkeypatch.setattr(sources, "EXCEL_MAX_UNPACKED", unpacked - 1)
    for attempt in (lambda: read(path, tmp_path), lambda: batches_of(path, rows=1_000)):
        with pytest.raises(SourceError, match=r"unpacks to .* MB, more than") as refused:
            attempt()
        assert refused.value.details["unpacked_bytes"] == unpacked
    monkeypatch.setattr(sources, "EXCEL_MAX_UNPACKED", unpacked)
    assert read(path, tmp_path).row_count == 20_000


def test_a_damaged_workbook_archive_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.xlsx"
    highly_compressible_workbook(path, 100)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 30])  # the archive's directory is cut off
    with pytest.raises(SourceError, match="not a readable Excel workbook"):
        read(path, tmp_path)


def test_a_missing_sqlite_file_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    with pytest.raises(SourceError, match="no such SQLite database file"):
        read(f"sqlite:///{missing}", tmp_path, table="t")
    assert not missing.exists()


def test_an_object_store_without_credentials_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # botocore's own error (no OSError) is named; the password of a URL never is.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    unreachable = r"cannot reach s3://inbox/people\.csv: NoCredentialsError"
    with pytest.raises(SourceError, match=unreachable):
        read("s3://inbox/people.csv", tmp_path)
    with pytest.raises(SourceError) as caught:
        read("s3://AKIA1:hunter2@inbox/people.csv", tmp_path)
    assert "hunter2" not in caught.value.en
    assert "hunter2" not in str(caught.value.zh)
    assert "s3://AKIA1:***@inbox/people.csv" in caught.value.en


async def _one_csv(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A web server holding one file, /people.csv (HEAD and GET); 404 for anything else."""
    assert scope["type"] == "http"
    found = scope["path"] == "/people.csv"
    body = CSV.encode() if found else b"not found"
    headers = [(b"content-type", b"text/csv"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200 if found else 404, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def test_web_addresses_are_read_and_their_failures_told_apart(tmp_path: Path) -> None:
    with serving(_one_csv) as base:
        assert read(f"{base}/people.csv", tmp_path).row_count == 2
        with pytest.raises(SourceError, match="no such object"):
            read(f"{base}/other.csv", tmp_path)
    # Nothing listens: the server cannot be reached, which is not "no such object".
    with pytest.raises(SourceError, match=r"cannot reach .* Cannot connect to host"):
        read(f"http://127.0.0.1:{free_port()}/people.csv", tmp_path)
