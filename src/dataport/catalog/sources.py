"""Reading dataset sources: what a location names, its format, schema, row count and hash.

Nothing here loads a whole file into memory. Files are hashed in a stream and parsed with
Arrow's streaming readers; remote URLs are copied to a local staging file first; database
tables are read in ordered batches. Every failure is a ``SourceError`` naming the source and,
where there is one, the row or column at fault.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import json
import mmap
import os
import re
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastexcel
import fsspec
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, NoSuchTableError, SQLAlchemyError

from dataport.catalog.models import SourceKind
from dataport.config import Settings
from dataport.db import redact_url
from dataport.errors import PermissionDenied, SourceError
from dataport.urls import redact_password, redact_secret_of

FORMATS = ("csv", "tsv", "parquet", "jsonl", "excel")
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
}
_DATABASE_BACKENDS = {"postgresql", "sqlite", "mysql", "mariadb", "oracle", "mssql"}
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_CHUNK = 1 << 20
_SAMPLE = 1 << 20
#: Arrow parses text in blocks; a single row must fit in one. Grown on demand up to the cap.
_BLOCK_SIZES = (8 << 20, 64 << 20, 512 << 20)
_DB_BATCH = 50_000

#: ``progress(stage, done, total)``: stage is ``hash`` (bytes) or ``read`` (rows, total 0).
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class SourceSpec:
    """What a user named as a dataset's source, resolved but not yet read."""

    kind: SourceKind
    #: Absolute path, fsspec URL, or SQLAlchemy URL (which may hold a password: see ``display``).
    location: str
    format: str
    table: str | None = None
    encoding: str | None = None
    sheet: str | None = None

    @property
    def display(self) -> str:
        """The location as it may be printed and stored: passwords removed."""
        if self.kind is SourceKind.database:
            return redact_url(self.location)
        return redact_password(self.location) if self.kind is SourceKind.url else self.location


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    type: str


@dataclass(frozen=True)
class Inspection:
    """What reading a source found."""

    format: str
    row_count: int
    byte_size: int | None
    content_hash: str
    columns: tuple[ColumnInfo, ...]
    encoding: str | None = None
    sheet: str | None = None


def _error(en: str, zh: str, **details: Any) -> SourceError:
    return SourceError(en, zh, field="source", **details)


# -- naming a source ----------------------------------------------------------------------


def resolve(
    location: str,
    *,
    table: str | None = None,
    format: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
) -> SourceSpec:
    """Work out what ``location`` is (file, fsspec URL or database) and its format."""
    location = location.strip()
    if not location:
        raise _error("no source given", "未指定数据来源")
    if encoding is not None:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError as exc:
            raise SourceError(
                f"unknown encoding {encoding!r}", f"未知编码 {encoding!r}", field="encoding"
            ) from exc
    if _URL.match(location) and _database_backend(location):
        if not table:
            raise SourceError(
                "a database source needs a table name (--table)",
                "数据库来源须指定表名（--table）",
                field="table",
            )
        return SourceSpec(SourceKind.database, location, "database", table=table)
    if table:
        raise SourceError(
            "--table applies only to database URLs", "--table 仅适用于数据库 URL", field="table"
        )
    kind = SourceKind.file
    if _URL.match(location):
        if location.startswith("file://"):
            location = location.removeprefix("file://")
        else:
            kind = SourceKind.url
    if kind is SourceKind.file:
        location = str(Path(location).expanduser().absolute())
    fmt = _format_of(location, format)
    if sheet is not None and fmt != "excel":
        raise SourceError(
            "--sheet applies only to Excel files", "--sheet 仅适用于 Excel 文件", field="sheet"
        )
    return SourceSpec(kind, location, fmt, encoding=encoding, sheet=sheet)


def _database_backend(url: str) -> str | None:
    try:
        backend = sa.make_url(url).get_backend_name()
    except ArgumentError:
        return None
    return backend if backend in _DATABASE_BACKENDS else None


def _format_of(location: str, declared: str | None) -> str:
    if declared is not None:
        fmt = declared.lower()
        if fmt not in FORMATS:
            raise SourceError(
                f"unsupported format {declared!r}; supported: {', '.join(FORMATS)}",
                f"不支持的格式 {declared!r}；支持：{', '.join(FORMATS)}",
                field="format",
            )
        return fmt
    suffix = Path(location.split("?", 1)[0]).suffix.lower()
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    raise SourceError(
        f"cannot tell the format of {location} from its extension {suffix or '(none)'!r}; "
        f"supported: {', '.join(sorted(_EXTENSIONS))} (or pass --format)",
        f"无法根据扩展名 {suffix or '（无）'!r} 判断 {location} 的格式；"
        f"支持：{', '.join(sorted(_EXTENSIONS))}（或使用 --format 指定）",
        field="format",
    )


def inbox_folders(settings: Settings, org_id: uuid.UUID) -> list[Path]:
    """Where an organisation's API callers may register files from: ``<root>/<org id>/``."""
    return [root / str(org_id) for root in settings.resolved_source_roots]


def check_allowed(spec: SourceSpec, settings: Settings, org_id: uuid.UUID) -> None:
    """Refuse sources an API caller may not name: they would let a tenant read the server.

    Files must lie in the organisation's own folder under a configured source root (links
    resolved), so one tenant cannot register another's uploads or the server's files.
    """
    if spec.kind is SourceKind.file:
        real = Path(spec.location).resolve()
        folders = inbox_folders(settings, org_id)
        if not any(real.is_relative_to(folder.resolve()) for folder in folders):
            raise PermissionDenied(
                "through the API, files can be registered only from the organisation's own "
                "folder under the configured source roots (<root>/<organisation id>/)",
                "通过 API 只能登记本组织来源目录（<来源根目录>/<组织编号>/）中的文件",
                field="source",
            )
    elif spec.kind is SourceKind.url:
        scheme = spec.location.split("://", 1)[0].lower()
        if scheme not in {s.lower() for s in settings.remote_schemes}:
            raise PermissionDenied(
                f"URLs with scheme {scheme!r} are not enabled for the API on this installation",
                f"本系统未开放通过 API 登记 {scheme!r} 类型的 URL",
                field="source",
            )
    elif not settings.api_database_sources:
        raise PermissionDenied(
            "database sources are not enabled for the API on this installation",
            "本系统未开放通过 API 登记数据库来源",
            field="source",
        )


# -- reading a source ---------------------------------------------------------------------


def inspect(
    spec: SourceSpec,
    *,
    workdir: Path,
    infer_rows: int = 10_000,
    progress: Progress | None = None,
) -> Inspection:
    """Read ``spec`` in a stream and report its schema, row count and content hash."""
    if spec.kind is SourceKind.database:
        return _inspect_database(spec, progress)
    if spec.kind is SourceKind.url:
        with _staged(spec, workdir, progress) as path:
            return _inspect_file(path, spec, infer_rows, progress)
    return _inspect_file(Path(spec.location), spec, infer_rows, progress)


def _checked_start(path: Path, spec: SourceSpec) -> tuple[int, bytes]:
    """The size and first megabyte of a file that exists, is not empty and fits its format."""
    name = spec.display
    try:
        if not path.exists():
            raise _error(f"no such file: {name}", f"文件不存在：{name}")
        if path.is_dir():
            raise _error(f"{name} is a directory, not a file", f"{name} 是目录，不是文件")
        size = path.stat().st_size
        if size == 0:
            raise _error(f"{name} is empty (0 bytes)", f"{name} 是空文件（0 字节）")
        with path.open("rb") as fh:
            sample = fh.read(_SAMPLE)
    except PermissionError as exc:
        raise _error(
            f"cannot read {name}: permission denied", f"无法读取 {name}：权限不足"
        ) from exc
    _check_magic(sample, spec.format, name)
    return size, sample


def _inspect_file(
    path: Path, spec: SourceSpec, infer_rows: int, progress: Progress | None
) -> Inspection:
    name = spec.display
    size, sample = _checked_start(path, spec)
    digest = _hash_file(path, size, progress)
    if spec.format in ("csv", "tsv"):
        encoding = spec.encoding or detect_encoding(sample, name)
        rows, columns, encoding = _read_csv(path, spec.format, encoding, spec.encoding, name)
        return Inspection(spec.format, rows, size, digest, columns, encoding=encoding)
    if spec.format == "jsonl":
        encoding = spec.encoding or detect_encoding(sample, name)
        if encoding not in ("utf-8", "ascii"):
            raise _error(
                f"{name}: JSON Lines must be UTF-8 (RFC 8259), but it looks like {encoding}",
                f"{name}：JSON Lines 文件必须为 UTF-8 编码（RFC 8259），但该文件似乎是 {encoding}",
            )
        rows, columns = _read_jsonl(path, name)
        return Inspection("jsonl", rows, size, digest, columns, encoding="utf-8")
    if spec.format == "parquet":
        rows, columns = _read_parquet(path, name)
        return Inspection("parquet", rows, size, digest, columns)
    rows, columns, sheet = _read_excel(path, spec.sheet, infer_rows, name)
    return Inspection("excel", rows, size, digest, columns, sheet=sheet)


def _check_magic(sample: bytes, fmt: str, name: str) -> None:
    """Catch a file whose content does not match its declared format before parsing it."""
    if fmt == "parquet" and not sample.startswith(b"PAR1"):
        raise _error(
            f"{name} is not a Parquet file (it does not start with 'PAR1')",
            f"{name} 不是 Parquet 文件（文件头不是 'PAR1'）",
        )
    if fmt == "excel" and not sample.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise _error(
            f"{name} is not an Excel workbook (neither .xlsx nor .xls content)",
            f"{name} 不是 Excel 工作簿（内容既非 .xlsx 也非 .xls）",
        )


def _hash_file(path: Path, size: int, progress: Progress | None) -> str:
    digest = hashlib.sha256()
    done = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            done += len(chunk)
            if progress:
                progress("hash", done, size)
    return "sha256:" + digest.hexdigest()


def file_hash(path: Path) -> str:
    """``sha256:`` of a file's bytes, read in a stream (the content hash of a version)."""
    return _hash_file(path, path.stat().st_size, None)


def detect_encoding(sample: bytes, name: str) -> str:
    """The text encoding of a file from its first bytes: UTF-8, UTF-16 (BOM) or GB18030.

    GB18030 is a superset of GBK and GB2312, the encodings most Chinese enterprise systems
    export in, so it is tried whenever a file is not valid UTF-8.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        raise _error(
            f"{name} is a binary file, not text (it contains NUL bytes)",
            f"{name} 是二进制文件，不是文本文件（含 NUL 字节）",
        )
    for encoding in ("utf-8", "gb18030"):
        text = _decode_prefix(sample, encoding)
        if text is not None and _looks_like_text(text):
            return encoding
    if _decode_prefix(sample, "utf-8") is not None:
        raise _error(
            f"{name} holds control characters no text has: it looks like binary data; "
            "if it is text, pass --encoding",
            f"{name} 含有文本中不会出现的控制字符，疑似二进制数据；"
            "如确为文本文件，请用 --encoding 指定编码",
        )
    # UTF-8 fails somewhere (just checked); GB18030 may decode and hold control characters.
    utf8 = fault_line(sample, "utf-8", whole=False) or 1
    gb = fault_line(sample, "gb18030", whole=False)
    gb_en = f"as GB18030 at line {gb}" if gb else "as GB18030 it holds control characters"
    gb_zh = f"按 GB18030 在第 {gb} 行出错" if gb else "按 GB18030 解码则含控制字符"
    raise _error(
        f"{name} is neither UTF-8 nor GB18030/GBK text (as UTF-8 it breaks at line {utf8}, "
        f"{gb_en}); if it is text, pass --encoding",
        f"{name} 既不是 UTF-8 也不是 GB18030/GBK 文本（按 UTF-8 解码在第 {utf8} 行出错，"
        f"{gb_zh}）；如确为文本文件，请用 --encoding 指定编码",
        line=min(utf8, gb or utf8),
    )


def _lines_are_bytes(encoding: str) -> bool:
    """Whether a line feed is the byte 0x0A in ``encoding`` (not in UTF-16), so that lines
    can be counted in its bytes."""
    return not codecs.lookup(encoding).name.startswith("utf-16")


def fault_line(data: bytes, encoding: str, *, whole: bool = True) -> int | None:
    """The line (from 1) of the first bytes of ``data`` that ``encoding`` cannot decode; None
    if every byte decodes or lines cannot be counted in bytes. ``whole=False``: ``data`` is
    the start of a file and may end inside a character, which is no fault."""
    if not _lines_are_bytes(encoding):
        return None
    try:
        codecs.getincrementaldecoder(encoding)().decode(data, final=whole)
    except UnicodeDecodeError as exc:
        return data.count(b"\n", 0, exc.start) + 1
    return None


def _decode_prefix(sample: bytes, encoding: str) -> str | None:
    # The sample may end inside a multi-byte character: allow up to 3 trailing bytes.
    for cut in range(4):
        try:
            return sample[: len(sample) - cut].decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _looks_like_text(text: str) -> bool:
    controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\r\n\t\f")
    return controls <= max(1, len(text[:65536]) // 1000)


def _read_csv(
    path: Path, fmt: str, encoding: str, declared: str | None, name: str
) -> tuple[int, tuple[ColumnInfo, ...], str]:
    try:
        rows, columns = _read_csv_as(path, fmt, encoding, name)
    except _InvalidUtf8Error as exc:
        damage = _first_undecodable(path, encoding)
        # The first megabyte was plain ASCII and gave no hint; GBK bytes came later. A file
        # with UTF-8 characters before the fault is UTF-8, damaged: it is not read as GBK.
        if declared is None and encoding == "utf-8" and not (damage and damage.after_text):
            return (*_read_csv_as(path, fmt, "gb18030", name), "gb18030")
        if damage is not None:
            raise _undecodable_error(name, encoding, damage.line) from exc
        raise _error(
            f"{name} is not valid {encoding} text ({exc}); pass the right --encoding",
            f"{name} 不是有效的 {encoding} 文本（{exc}）；请用 --encoding 指定正确编码",
        ) from exc
    return rows, columns, encoding


class _InvalidUtf8Error(Exception):
    pass


def _read_csv_as(
    path: Path, fmt: str, encoding: str, name: str
) -> tuple[int, tuple[ColumnInfo, ...]]:
    delimiter = "\t" if fmt == "tsv" else ","
    last_error: pa.ArrowInvalid | None = None
    for block_size in _BLOCK_SIZES:
        try:
            return _scan_csv(path, delimiter, encoding, block_size, name)
        except pa.ArrowInvalid as exc:
            if "straddling" not in str(exc) and "block size" not in str(exc):
                raise _csv_error(exc, name) from exc
            last_error = exc
    raise _error(
        f"{name}: a single row is larger than {_BLOCK_SIZES[-1] >> 20} MB",
        f"{name}：单行数据超过 {_BLOCK_SIZES[-1] >> 20} MB",
    ) from last_error


def _scan_csv(
    path: Path, delimiter: str, encoding: str, block_size: int, name: str
) -> tuple[int, tuple[ColumnInfo, ...]]:
    read_options = pa_csv.ReadOptions(encoding=encoding, block_size=block_size, use_threads=False)
    bad: list[Any] = []

    def on_invalid_row(row: Any) -> str:
        bad.append(row)
        return "error"

    parse = pa_csv.ParseOptions(
        delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid_row
    )
    rows = 0
    try:
        # Names and types come from the first block; the full pass reads every field as text,
        # so a late value of another type is not an error (typing the data is the scanner's).
        with pa_csv.open_csv(path, read_options=read_options, parse_options=parse) as reader:
            schema = reader.schema
        columns = _checked_columns(schema, name)
        as_text = pa_csv.ConvertOptions(column_types={f.name: pa.string() for f in schema})
        with pa_csv.open_csv(
            path, read_options=read_options, parse_options=parse, convert_options=as_text
        ) as reader:
            for batch in reader:
                rows += batch.num_rows
    except pa.ArrowInvalid as exc:
        if bad:
            row = bad[0]
            raise _error(
                f"{name}: row {row.number} has {row.actual_columns} fields but the header has "
                f"{row.expected_columns} (rows are counted from 1, the header being row 1)",
                f"{name}：第 {row.number} 行有 {row.actual_columns} 个字段，但表头有 "
                f"{row.expected_columns} 个（行号从 1 开始，表头为第 1 行）",
                row=row.number,
            ) from exc
        if "invalid UTF8" in str(exc) or "UTF-8" in str(exc):
            raise _InvalidUtf8Error(str(exc)) from exc
        raise
    except UnicodeDecodeError as exc:
        damage = _first_undecodable(path, encoding)
        if damage is not None:
            raise _undecodable_error(name, encoding, damage.line) from exc
        raise _error(
            f"{name} is not valid {encoding} text: {exc.reason}; pass the right --encoding",
            f"{name} 不是有效的 {encoding} 文本；请用 --encoding 指定正确编码",
        ) from exc
    return rows, columns


def _csv_error(exc: pa.ArrowInvalid, name: str) -> SourceError:
    text = str(exc)
    if "Empty CSV file" in text:
        return _error(f"{name} has no header row", f"{name} 没有表头行")
    return _error(
        f"{name} is not a readable CSV file: {text}", f"{name} 不是可读的 CSV 文件：{text}"
    )


def _checked_columns(schema: pa.Schema, name: str) -> tuple[ColumnInfo, ...]:
    seen: set[str] = set()
    for position, column in enumerate(schema.names, start=1):
        if not column.strip():
            raise _error(
                f"{name}: column {position} has no name in the header",
                f"{name}：表头第 {position} 列没有列名",
                column=position,
            )
        if column in seen:
            raise _error(
                f"{name}: column name {column!r} appears more than once in the header",
                f"{name}：表头中列名 {column!r} 重复出现",
                column=position,
            )
        seen.add(column)
    return tuple(ColumnInfo(field.name, str(field.type)) for field in schema)


def _read_jsonl(path: Path, name: str) -> tuple[int, tuple[ColumnInfo, ...]]:
    rows = 0
    try:
        with pa_json.open_json(
            path, read_options=pa_json.ReadOptions(block_size=_BLOCK_SIZES[0], use_threads=False)
        ) as reader:
            columns = _checked_columns(reader.schema, name)
            for batch in reader:
                rows += batch.num_rows
    except pa.ArrowInvalid as exc:
        raise _jsonl_error(path, name, exc) from exc
    return rows, columns


def _jsonl_error(path: Path, name: str, exc: Exception) -> SourceError:
    fault = _first_bad_json_line(path)
    if fault is None:
        return _error(
            f"{name} is not valid JSON Lines: {exc}", f"{name} 不是有效的 JSON Lines 文件：{exc}"
        )
    line, en, zh = fault
    return _error(
        f"{name} is not valid JSON Lines at line {line}: {en}",
        f"{name} 不是有效的 JSON Lines 文件（第 {line} 行）：{zh}",
        line=line,
    )


_JSON_KINDS = {bool: "true/false", int: "a number", float: "a number", str: "text"}
_JSON_KINDS_ZH = {"true/false": "布尔值", "a number": "数字", "text": "文本", "a record": "对象",
                  "a list": "数组"}  # fmt: skip


def _json_kind(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return "a record"
    if isinstance(value, list):
        return "a list"
    return _JSON_KINDS.get(type(value))


def _first_bad_json_line(path: Path) -> tuple[int, str, str] | None:
    """The first line that is no JSON object, or whose field changes kind (a column keeps
    one), with what is wrong in English and Chinese (only on the error path)."""
    first: dict[str, tuple[str, int]] = {}
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                value = json.loads(raw)
            except ValueError as exc:
                return number, f"not JSON ({exc})", f"不是 JSON（{exc}）"
            if not isinstance(value, dict):
                return number, "not a JSON object", "不是 JSON 对象"
            for key, item in value.items():
                kind = _json_kind(item)
                if kind is None:
                    continue
                seen = first.setdefault(key, (kind, number))
                if seen[0] != kind:
                    return (
                        number,
                        f"field {key!r} is {kind} here but {seen[0]} at line {seen[1]}; a "
                        "column keeps one kind of value",
                        f"字段 {key!r} 在此为{_JSON_KINDS_ZH[kind]}，而第 {seen[1]} 行为"
                        f"{_JSON_KINDS_ZH[seen[0]]}；同一列的值须为同一类型",
                    )
    return None


def _read_parquet(path: Path, name: str) -> tuple[int, tuple[ColumnInfo, ...]]:
    try:
        metadata = pq.ParquetFile(path)
        columns = _checked_columns(metadata.schema_arrow, name)
        return metadata.metadata.num_rows, columns
    except (pa.ArrowException, OSError) as exc:
        raise _error(
            f"{name} is not a valid Parquet file: {exc}", f"{name} 不是有效的 Parquet 文件：{exc}"
        ) from exc


#: The most a workbook may unpack to. A sheet is read whole (calamine has no streaming read),
#: taking about twice its unpacked size in memory (a sheet of 590 MB took 1.2 GB to scan), and
#: a zip bomb unpacks to hundreds of times its size: such a workbook is refused before it is
#: opened, from its archive's directory alone.
EXCEL_MAX_UNPACKED = 2 << 30


def check_workbook(path: Path, name: str) -> int | None:
    """What an .xlsx/.xlsm workbook unpacks to (None for an .xls, which is no archive), or
    an error if that is more than ``EXCEL_MAX_UNPACKED``."""
    if not zipfile.is_zipfile(path):
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(entry.file_size for entry in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _error(
            f"{name} is not a readable Excel workbook: {exc}",
            f"{name} 不是可读的 Excel 工作簿：{exc}",
        ) from exc
    if unpacked > EXCEL_MAX_UNPACKED:
        mb, limit = unpacked >> 20, EXCEL_MAX_UNPACKED >> 20
        raise _error(
            f"{name} unpacks to {mb:,} MB, more than the {limit:,} MB a workbook may: save "
            "its sheet as CSV, which is read in a stream",
            f"{name} 解压后为 {mb:,} MB，超过工作簿上限 {limit:,} MB：请将工作表另存为 CSV"
            "（CSV 按流读取）",
            unpacked_bytes=unpacked,
        )
    return unpacked


def _read_excel(
    path: Path, sheet: str | None, infer_rows: int, name: str
) -> tuple[int, tuple[ColumnInfo, ...], str]:
    check_workbook(path, name)
    try:
        workbook = fastexcel.read_excel(str(path))
        names: list[str] = workbook.sheet_names
        if not names:
            raise _error(f"{name} has no worksheets", f"{name} 没有工作表")
        if sheet is not None and sheet not in names:
            raise SourceError(
                f"{name} has no sheet {sheet!r}; its sheets are: {', '.join(names)}",
                f"{name} 中没有工作表 {sheet!r}；现有工作表：{', '.join(names)}",
                field="sheet",
            )
        chosen = sheet or names[0]
        loaded = workbook.load_sheet(chosen, n_rows=infer_rows)
        columns = tuple(ColumnInfo(c.name, str(c.dtype)) for c in loaded.available_columns())
        rows = int(loaded.total_height)
    except SourceError:
        raise
    except Exception as exc:
        raise _error(
            f"{name} is not a readable Excel workbook: {exc}",
            f"{name} 不是可读的 Excel 工作簿：{exc}",
        ) from exc
    _checked_columns(pa.schema([(c.name, pa.string()) for c in columns]), name)
    return rows, columns, chosen


@contextmanager
def _staged(spec: SourceSpec, workdir: Path, progress: Progress | None) -> Iterator[Path]:
    """Copy a remote object to a local temporary file (removed afterwards)."""
    url = spec.display
    try:
        fs, remote_path = fsspec.core.url_to_fs(spec.location)
    except (ValueError, ImportError) as exc:
        raise _error(f"cannot open {url}: {exc}", f"无法打开 {url}：{exc}") from exc
    try:
        info = fs.info(remote_path)
    except FileNotFoundError as exc:
        cause = exc.__cause__
        if isinstance(cause, OSError) and not isinstance(cause, FileNotFoundError):
            # fsspec's HTTP client says "not found" of a server it could not connect to.
            reason = redact_secret_of(spec.location, str(cause))
            raise _error(f"cannot reach {url}: {reason}", f"无法访问 {url}：{reason}") from exc
        raise _error(f"no such object: {url}", f"对象不存在：{url}") from exc
    except Exception as exc:
        # Each filesystem has errors of its own (botocore's missing credentials, HTTP
        # clients' refused connections): all of them mean the object cannot be had.
        reason = redact_secret_of(spec.location, f"{type(exc).__name__}: {exc}")
        raise _error(f"cannot reach {url}: {reason}", f"无法访问 {url}：{reason}") from exc
    if info.get("type") == "directory":
        raise _error(f"{url} is a directory, not a file", f"{url} 是目录，不是文件")
    workdir.mkdir(parents=True, exist_ok=True)
    suffix = Path(remote_path).suffix
    with tempfile.NamedTemporaryFile(dir=workdir, suffix=suffix, delete=False) as tmp:
        staged = Path(tmp.name)
    try:
        try:
            with fs.open(remote_path, "rb") as src, staged.open("wb") as dst:
                shutil.copyfileobj(src, dst, _CHUNK)
        except Exception as exc:
            reason = redact_secret_of(spec.location, f"{type(exc).__name__}: {exc}")
            raise _error(f"cannot read {url}: {reason}", f"无法读取 {url}：{reason}") from exc
        yield staged
    finally:
        staged.unlink(missing_ok=True)


# -- database tables ----------------------------------------------------------------------


@contextmanager
def _open_table(spec: SourceSpec) -> Iterator[tuple[sa.Connection, sa.Table]]:
    """A connection to ``spec``'s database and its table, reflected; connection failures, a
    missing table and driver errors become ``SourceError`` naming the source."""
    name = spec.display
    assert spec.table is not None  # noqa: S101 - resolve() guarantees it
    schema_name, _, table_name = spec.table.rpartition(".")
    try:
        url = sa.make_url(spec.location)
        engine = sa.create_engine(url)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise _error(
            f"{name} is not a database URL dataport can use: {exc}",
            f"{name} 不是 dataport 可用的数据库 URL：{exc}",
        ) from exc
    database = url.database or ""
    # SQLite would create a missing file, and reading a source must leave nothing behind.
    if (
        url.get_backend_name() == "sqlite"
        and database not in ("", ":memory:")
        and not database.startswith("file:")
        and not Path(database).is_file()
    ):
        engine.dispose()
        raise _error(
            f"no such SQLite database file: {database}", f"SQLite 数据库文件不存在：{database}"
        )
    try:
        with engine.connect() as conn:
            yield conn, _reflect(conn, schema_name or None, table_name, name)
    except sa.exc.OperationalError as exc:
        raise _error(
            f"cannot connect to the database {name}: {str(exc.orig).strip()}",
            f"无法连接数据库 {name}：{str(exc.orig).strip()}",
        ) from exc
    except SQLAlchemyError as exc:
        raise _error(
            f"cannot read table {spec.table} from {name}: {exc}",
            f"无法从 {name} 读取表 {spec.table}：{exc}",
        ) from exc
    finally:
        engine.dispose()


def _reflect(conn: sa.Connection, schema_name: str | None, table_name: str, name: str) -> sa.Table:
    inspector = sa.inspect(conn)
    if not inspector.has_table(table_name, schema=schema_name):
        available = sorted(inspector.get_table_names(schema=schema_name))[:20]
        raise SourceError(
            f"{name} has no table {table_name!r}; tables there: {', '.join(available) or 'none'}",
            f"{name} 中没有表 {table_name!r}；现有表：{', '.join(available) or '无'}",
            field="table",
        )
    try:
        return sa.Table(table_name, sa.MetaData(), schema=schema_name, autoload_with=conn)
    except NoSuchTableError as exc:  # pragma: no cover - has_table just said it exists
        raise SourceError(
            f"no table {table_name!r}", f"没有表 {table_name!r}", field="table"
        ) from exc


def _rows_frame(rows: Sequence[sa.Row[Any]], names: list[str]) -> pl.DataFrame:
    # The driver hands over Python row tuples; Polars builds the columns from them.
    return pl.DataFrame(
        [tuple(row) for row in rows], schema=names, orient="row", infer_schema_length=None
    )


def _inspect_database(spec: SourceSpec, progress: Progress | None) -> Inspection:
    with _open_table(spec) as (conn, table):
        return _read_table(conn, table, progress)


def read_table(spec: SourceSpec) -> tuple[list[pl.DataFrame], Inspection]:
    """A database table read whole, in one pass: its rows and the content hash of exactly
    those rows (a second read could see rows changed since the hash was taken)."""
    frames: list[pl.DataFrame] = []
    with _open_table(spec) as (conn, table):
        found = _read_table(conn, table, None, keep=frames)
    return frames, found


def _read_table(
    conn: sa.Connection,
    table: sa.Table,
    progress: Progress | None,
    keep: list[pl.DataFrame] | None = None,
) -> Inspection:
    columns = tuple(ColumnInfo(c.name, str(c.type)) for c in table.columns)
    row_count = int(conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0)
    # A stable order makes the hash depend on content, not on the order the engine returns.
    order = list(table.primary_key.columns) or list(table.columns)
    names = [c.name for c in table.columns]
    digest = hashlib.sha256()
    digest.update(json.dumps(names, ensure_ascii=False).encode())
    result = conn.execution_options(stream_results=True, yield_per=_DB_BATCH).execute(
        sa.select(table).order_by(*order)
    )
    done = 0
    for part in result.partitions():
        frame = _rows_frame(part, names)
        buffer = io.BytesIO()
        frame.write_csv(buffer, include_header=False)
        digest.update(buffer.getvalue())
        if keep is not None:
            keep.append(frame)
        done += len(part)
        if progress:
            progress("read", done, row_count)
    return Inspection("database", row_count, None, "sha256:" + digest.hexdigest(), columns)


# -- reading the rows, batch by batch ---------------------------------------------------------

#: Scans read text in blocks of at most this size, so one row may be at most this large.
SCAN_BLOCK = 64 << 20
#: Polars parses a UTF-8 file in blocks of about this size, cut at a record's end.
_POLARS_BLOCK = 16 << 20


@contextmanager
def local_copy(spec: SourceSpec, workdir: Path) -> Iterator[Path | None]:
    """The local file to read ``spec`` from: the file itself, a staged copy of a URL, or None
    for a database table. The file is checked (exists, not empty, right format) first."""
    if spec.kind is SourceKind.database:
        yield None
        return
    if spec.kind is SourceKind.url:
        with _staged(spec, workdir, None) as path:
            _checked_start(path, spec)
            yield path
        return
    path = Path(spec.location)
    _checked_start(path, spec)
    yield path


def text_encoding(path: Path, spec: SourceSpec) -> str:
    """The encoding to read a CSV/TSV/JSON Lines file in: as declared, else detected."""
    _, sample = _checked_start(path, spec)
    encoding = spec.encoding or detect_encoding(sample, spec.display)
    if spec.format == "jsonl" and encoding not in ("utf-8", "ascii"):
        raise _error(
            f"{spec.display}: JSON Lines must be UTF-8 (RFC 8259), but it looks like {encoding}",
            f"{spec.display}：JSON Lines 文件必须为 UTF-8 编码（RFC 8259），"
            f"但该文件似乎是 {encoding}",
        )
    return encoding


def parquet_row_groups(path: Path, spec: SourceSpec) -> list[int]:
    """The number of rows in each row group of a Parquet file (its units of parallel work)."""
    try:
        meta = pq.ParquetFile(path).metadata
    except (pa.ArrowException, OSError) as exc:
        raise _error(
            f"{spec.display} is not a valid Parquet file: {exc}",
            f"{spec.display} 不是有效的 Parquet 文件：{exc}",
        ) from exc
    return [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]


def csv_ranges(path: Path, encoding: str, parts: int) -> list[tuple[int, int]]:
    """Byte ranges of a CSV/TSV file's data rows that parse on their own, cut at line ends.

    Only a file without any quote character is cut: a quoted field may hold a line break, and
    a cut there would split a row. (In UTF-8 and GB18030 neither the quote nor the line feed
    byte ever occurs inside a multi-byte character.) One range for anything else.
    """
    size = path.stat().st_size
    with path.open("rb") as fh:
        header_end = len(fh.readline())
    whole = [(header_end, size)]
    if parts < 2 or encoding not in ("utf-8", "gb18030", "ascii") or size < (8 << 20):
        return whole
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        if data.find(b'"') != -1:
            return whole
        cuts = [header_end]
        for part in range(1, parts):
            at = data.find(b"\n", max(cuts[-1], header_end + (size - header_end) * part // parts))
            if at == -1 or at + 1 >= size:
                break
            cuts.append(at + 1)
    cuts.append(size)
    return [(a, b) for a, b in itertools.pairwise(cuts) if b > a]


class _HeaderAndRange(io.RawIOBase):
    """A file's header line followed by one byte range of it, as one readable stream."""

    def __init__(self, path: Path, start: int, stop: int) -> None:
        super().__init__()
        self._file = path.open("rb")
        self._head = self._file.readline()
        self._file.seek(start)
        self._left = stop - start

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            count = min(len(view), len(self._head))
            view[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        count = min(len(view), self._left)
        if count <= 0:
            return 0
        read = self._file.readinto(view[:count]) or 0
        self._left -= read
        return read

    def close(self) -> None:
        self._file.close()
        super().close()


def iter_batches(
    spec: SourceSpec,
    path: Path | None,
    *,
    batch_rows: int,
    limit: int | None = None,
    row_groups: Sequence[int] | None = None,
    encoding: str | None = None,
    byte_range: tuple[int, int] | None = None,
) -> Iterator[pl.DataFrame]:
    """The rows of a source as data frames of about ``batch_rows`` rows, read in a stream.

    Text files are read as text (typing the values is the caller's business); ``limit`` stops
    after that many rows; ``row_groups`` reads only those groups of a Parquet file, and
    ``byte_range`` only that range of a CSV file (see ``csv_ranges``). Every
    failure is a ``SourceError`` naming the source and, where known, the row.
    """
    name = spec.display
    if spec.kind is SourceKind.database:
        yield from _database_batches(spec, batch_rows=batch_rows, limit=limit)
        return
    assert path is not None  # noqa: S101 - local_copy() gives a path for every file source
    if spec.format in ("csv", "tsv"):
        batches = _csv_batches(
            path, spec, encoding or text_encoding(path, spec), batch_rows, byte_range
        )
    elif spec.format == "jsonl":
        batches = _jsonl_batches(path, spec, batch_rows)
    elif spec.format == "parquet":
        batches = _parquet_batches(path, name, batch_rows, row_groups)
    else:
        batches = _excel_batches(path, spec, batch_rows, limit)
    seen = 0
    for frame in batches:
        if limit is not None and seen + frame.height > limit:
            frame = frame.head(limit - seen)
        seen += frame.height
        if frame.height:
            yield frame
        if limit is not None and seen >= limit:
            return


def _rebatched(tables: Iterator[pa.RecordBatch], rows: int) -> Iterator[pl.DataFrame]:
    pending: list[pa.RecordBatch] = []
    count = 0
    for batch in tables:
        pending.append(batch)
        count += batch.num_rows
        if count >= rows:
            yield _frame(pending)
            pending, count = [], 0
    if pending:
        yield _frame(pending)


def _frame(batches: list[pa.RecordBatch]) -> pl.DataFrame:
    frame = pl.from_arrow(pa.Table.from_batches(batches), rechunk=False)
    assert isinstance(frame, pl.DataFrame)  # noqa: S101 - a table converts to a frame
    return frame


def _csv_batches(
    path: Path,
    spec: SourceSpec,
    encoding: str,
    rows: int,
    byte_range: tuple[int, int] | None = None,
) -> Iterator[pl.DataFrame]:
    """UTF-8 files through Polars' reader, a block of whole records at a time (several times
    faster); anything else, and any file Polars refuses, through Arrow, whose errors name the
    row at fault."""
    if byte_range is None and encoding in ("utf-8", "ascii"):
        yielded = False
        try:
            for frame in _polars_csv_batches(path, spec, rows):
                yielded = True
                yield frame
            return
        except pl.exceptions.PolarsError as exc:
            if yielded:
                # Arrow finds the same fault and says where it is; never yield rows twice.
                for _ in _arrow_csv_batches(path, spec, encoding, rows, None):
                    pass
                raise _error(
                    f"{spec.display} is not a readable CSV file: {exc}",
                    f"{spec.display} 不是可读的 CSV 文件：{exc}",
                ) from exc
    yield from _arrow_csv_batches(path, spec, encoding, rows, byte_range)


def _polars_csv_batches(path: Path, spec: SourceSpec, rows: int) -> Iterator[pl.DataFrame]:
    """The file cut into blocks of whole records, each parsed by ``pl.read_csv`` (about twice
    as cheap as Polars' streaming reader). Values are those Polars gives for the whole file."""
    with path.open("rb") as fh:
        if fh.read(3) == codecs.BOM_UTF8:
            raise pl.exceptions.ComputeError("a byte-order mark: read with Arrow")
    delimiter = "\t" if spec.format == "tsv" else ","
    # The header as written (Polars renames repeated and empty names), read by Python's csv
    # module: Arrow's reader, opened for its schema alone, held about 250 MB of memory after.
    try:
        with path.open(encoding="utf-8", newline="") as text:
            names = next(row for row in csv.reader(text, delimiter=delimiter) if row)
    except (StopIteration, UnicodeDecodeError, csv.Error) as exc:
        # The Arrow path reads it again and says what is wrong.
        raise pl.exceptions.ComputeError(f"no header: {exc}") from exc
    _checked_columns(pa.schema([(n, pa.string()) for n in names]), spec.display)
    yield from _in_batches(_polars_csv_blocks(path, delimiter, _POLARS_BLOCK), rows)


def _in_batches(frames: Iterator[pl.DataFrame], rows: int) -> Iterator[pl.DataFrame]:
    """The rows of ``frames`` (of any sizes) as frames of ``rows`` rows, the last one fewer."""
    pending: pl.DataFrame | None = None
    for frame in frames:
        pending = frame if pending is None else pl.concat([pending, frame], rechunk=False)
        while pending.height >= rows:
            yield pending.slice(0, rows)
            pending = pending.slice(rows)
    if pending is not None and pending.height:
        yield pending


def _polars_csv_blocks(path: Path, delimiter: str, block: int) -> Iterator[pl.DataFrame]:
    size = path.stat().st_size
    if size == 0:
        return
    with path.open("rb") as fh:
        fd = fh.fileno()
        start, schema, header, reach = 0, None, b"", block
        while start < size:
            want, text = reach, None
            while text is None:
                if want > SCAN_BLOCK:
                    # One record this long, or a quote that never closes: Arrow reads the
                    # file again and says which.
                    raise pl.exceptions.ComputeError("a record longer than a scan block")
                text = _whole_records(fd, start, min(size, start + want), size)
                want += block
            if schema is None:
                # The first block starts the file: Polars finds the header as it would there.
                try:
                    frame = pl.read_csv(text, separator=delimiter, infer_schema=False)
                except pl.exceptions.NoDataError:
                    if start + len(text) >= size:
                        raise
                    reach = want  # only blank lines so far: a longer first block
                    continue
                schema = frame.schema
                header = pl.DataFrame(schema=schema).write_csv(separator=delimiter).encode()
                reach = block  # the blocks after it are of the usual size again
            else:
                frame = _csv_block(text, delimiter, schema, header)
            yield frame
            start += len(text)


#: Bytes read first at the end of a block, to find where its last record ends.
_TAIL = 64 << 10


def _whole_records(fd: int, start: int, stop: int, size: int) -> bytes | None:
    """The bytes from ``start`` (a record's start) to the last record end before ``stop``,
    None if there is none.

    Read with ``pread``, which copies with the interpreter lock released (a slice of a
    memory map copies under it, and a scan's column threads wait meanwhile). The block's
    last line end is found in its tail first, so the block is read up to it and used as it
    is, not copied again to cut a record off (unless a quoted line break ends it).
    """
    if stop >= size:
        return os.pread(fd, size - start, start)
    tail_start = max(start, stop - _TAIL)
    end = os.pread(fd, stop - tail_start, tail_start).rfind(b"\n")
    if end != -1:
        stop = tail_start + end + 1
    text = os.pread(fd, stop - start, start)
    if end != -1 and text.find(b'"') == -1:
        return text
    cut = _last_record_end(text)
    if cut == -1:
        return None
    return text if cut == len(text) else text[:cut]


def _csv_block(text: bytes, delimiter: str, schema: pl.Schema, header: bytes) -> pl.DataFrame:
    """Records from the middle of a file, read as Polars reads them after its header."""
    try:
        return pl.read_csv(text, separator=delimiter, has_header=False, schema=schema)
    except pl.exceptions.SchemaError:
        # Without a header, Polars counts the fields of the first record; if that one is short
        # (or blank), read the block after a header as the whole file would be (rare: a copy).
        frame = pl.read_csv(header + text, separator=delimiter, infer_schema=False)
        return frame.rename(dict(zip(frame.columns, schema.names(), strict=True)))


def _last_record_end(data: bytes) -> int:
    """The offset just past the last record end in ``data``, which starts a record, or -1 if
    there is none.

    A line feed ends a record unless it lies inside a quoted field, that is when an even
    number of quote characters precede it (a quote inside a field is doubled).
    """
    stop = len(data)
    if data.find(b'"') == -1:
        end = data.rfind(b"\n")
        return -1 if end == -1 else end + 1
    quotes = _quotes(data, 0, stop)
    while (end := data.rfind(b"\n", 0, stop)) != -1:
        quotes -= _quotes(data, end, stop)
        if quotes % 2 == 0:
            return end + 1
        stop = end
    return -1


def _quotes(data: bytes, start: int, stop: int) -> int:
    view = np.frombuffer(data, dtype=np.uint8, count=stop - start, offset=start)
    return int(np.count_nonzero(view == ord('"')))


def _arrow_csv_batches(
    path: Path,
    spec: SourceSpec,
    encoding: str,
    rows: int,
    byte_range: tuple[int, int] | None,
) -> Iterator[pl.DataFrame]:
    name = spec.display
    delimiter = "\t" if spec.format == "tsv" else ","
    bad: list[Any] = []

    def on_invalid_row(row: Any) -> str:
        bad.append(row)
        return "error"

    parse = pa_csv.ParseOptions(
        delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid_row
    )
    read = pa_csv.ReadOptions(encoding=encoding, block_size=8 << 20, use_threads=True)
    try:
        with pa_csv.open_csv(path, read_options=read, parse_options=parse) as reader:
            schema = reader.schema
        _checked_columns(schema, name)
        as_text = pa_csv.ConvertOptions(column_types={f.name: pa.string() for f in schema})
        for block in (8 << 20, SCAN_BLOCK):
            read = pa_csv.ReadOptions(encoding=encoding, block_size=block, use_threads=True)
            try:
                stream: Any = path if byte_range is None else _HeaderAndRange(path, *byte_range)
                # Opening reads the first block already: its errors are the first block's.
                first = True
                reader = pa_csv.open_csv(
                    stream, read_options=read, parse_options=parse, convert_options=as_text
                )
                with reader:
                    for frame in _rebatched(iter(reader), rows):
                        first = False
                        yield frame
                return
            except pa.ArrowInvalid as exc:
                if not first or ("straddling" not in str(exc) and "block size" not in str(exc)):
                    raise
        raise _error(
            f"{name}: a single row is larger than {SCAN_BLOCK >> 20} MB, more than a scan reads",
            f"{name}：单行数据超过 {SCAN_BLOCK >> 20} MB，超出扫描可读取的上限",
        )
    except pa.ArrowInvalid as exc:
        if bad:
            row = bad[0]
            if row.number is None or byte_range is not None:
                # Parsed in parallel (or from the middle of the file), Arrow cannot number
                # rows: one sequential pass over the file finds the row (error path only).
                _read_csv_as(path, spec.format, encoding, name)
            raise _error(
                f"{name}: row {row.number} has {row.actual_columns} fields but the header has "
                f"{row.expected_columns} (rows are counted from 1, the header being row 1)",
                f"{name}：第 {row.number} 行有 {row.actual_columns} 个字段，但表头有 "
                f"{row.expected_columns} 个（行号从 1 开始，表头为第 1 行）",
                row=row.number,
            ) from exc
        text = str(exc)
        if "straddling" in text or "block size" in text:
            raise _error(
                f"{name}: a single row is larger than {SCAN_BLOCK >> 20} MB, more than a scan "
                "reads",
                f"{name}：单行数据超过 {SCAN_BLOCK >> 20} MB，超出扫描可读取的上限",
            ) from exc
        if "UTF8" in text or "UTF-8" in text:
            damage = _first_undecodable(path, encoding)
            if damage is not None:
                raise _undecodable_error(name, encoding, damage.line) from exc
            raise _error(
                f"{name} is not valid {encoding} text; pass the right --encoding",
                f"{name} 不是有效的 {encoding} 文本；请用 --encoding 指定正确编码",
            ) from exc
        raise _csv_error(exc, name) from exc
    except UnicodeDecodeError as exc:
        damage = _first_undecodable(path, encoding)
        if damage is not None:
            raise _undecodable_error(name, encoding, damage.line) from exc
        raise _error(
            f"{name} is not valid {encoding} text: {exc.reason}; pass the right --encoding",
            f"{name} 不是有效的 {encoding} 文本；请用 --encoding 指定正确编码",
        ) from exc


@dataclass(frozen=True, slots=True)
class _Undecodable:
    """Where a file first stops decoding in an encoding."""

    line: int
    #: Whether characters outside ASCII decoded before it: the file is in the encoding, and
    #: damaged or cut off, rather than in another encoding.
    after_text: bool


def _first_undecodable(path: Path, encoding: str) -> _Undecodable | None:
    """The line (from 1) holding the first bytes ``encoding`` cannot decode, read in a stream
    (the error path only); None when every byte decodes."""
    if not _lines_are_bytes(encoding):
        return None
    decoder = codecs.getincrementaldecoder(encoding)()
    lines, text = 1, False
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            pending = len(decoder.getstate()[0])  # a character cut at the last chunk's end
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                at = max(exc.start - pending, 0)
                return _Undecodable(
                    lines + chunk.count(b"\n", 0, at), text or not chunk[:at].isascii()
                )
            lines += chunk.count(b"\n")
            text = text or not chunk.isascii()
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return _Undecodable(lines, text)
    return None


def _undecodable_error(name: str, encoding: str, line: int) -> SourceError:
    return _error(
        f"{name}: line {line} is not valid {encoding} text (a damaged or cut-off file, or "
        "another encoding: pass the right --encoding)",
        f"{name}：第 {line} 行不是有效的 {encoding} 文本（文件损坏或被截断，"
        "或为其他编码：请用 --encoding 指定正确编码）",
        line=line,
    )


def _jsonl_batches(path: Path, spec: SourceSpec, rows: int) -> Iterator[pl.DataFrame]:
    name = spec.display
    try:
        with pa_json.open_json(
            path, read_options=pa_json.ReadOptions(block_size=_BLOCK_SIZES[0], use_threads=True)
        ) as reader:
            _checked_columns(reader.schema, name)
            yield from _rebatched(iter(reader), rows)
    except pa.ArrowInvalid as exc:
        raise _jsonl_error(path, name, exc) from exc


def _parquet_batches(
    path: Path, name: str, rows: int, row_groups: Sequence[int] | None
) -> Iterator[pl.DataFrame]:
    """Polars' own reader (several times cheaper) for row groups whose columns it types as
    Arrow does; Arrow for anything else."""
    try:
        parquet = pq.ParquetFile(path)
        _checked_columns(parquet.schema_arrow, name)
        groups = list(row_groups) if row_groups is not None else None
        if (groups is None or groups) and _same_types(path, parquet.schema_arrow):
            try:
                frames = _polars_row_groups(path, parquet.metadata, groups, rows)
                yield from _in_batches(frames, rows)
            except pl.exceptions.PolarsError as exc:
                raise _error(
                    f"{name} is not a valid Parquet file: {exc}",
                    f"{name} 不是有效的 Parquet 文件：{exc}",
                ) from exc
            return
        yield from _rebatched(parquet.iter_batches(batch_size=rows, row_groups=groups), rows)
    except (pa.ArrowException, OSError) as exc:
        raise _error(
            f"{name} is not a valid Parquet file: {exc}", f"{name} 不是有效的 Parquet 文件：{exc}"
        ) from exc


def _polars_row_groups(
    path: Path, meta: pq.FileMetaData, groups: list[int] | None, rows: int
) -> Iterator[pl.DataFrame]:
    """The row groups (all, or ``groups`` in their order), read by Polars when asked for:
    consecutive groups together until they hold ``rows`` rows (each read opens the file and
    its footer again: 500 groups of 1,000 rows one by one took 7.4 s against 0.6).

    Polars' streaming reader runs ahead of a slow consumer: it held up to 1.2 GB reading the
    benchmark's 283 MB file, against 0.47 GB a row group at a time, for the same CPU.
    """
    lengths = [meta.row_group(index).num_rows for index in range(meta.num_row_groups)]
    starts = [0, *itertools.accumulate(lengths)]
    spans: list[list[int]] = []  # [first row, rows]
    previous = -2
    for index in range(meta.num_row_groups) if groups is None else groups:
        if spans and index == previous + 1 and spans[-1][1] < rows:
            spans[-1][1] += lengths[index]
        else:
            spans.append([starts[index], lengths[index]])
        previous = index
    for start, length in spans:
        yield pl.scan_parquet(path).slice(start, length).collect()


def _same_types(path: Path, schema: pa.Schema) -> bool:
    """Whether Polars reads every column with the type the Arrow path gives it."""
    try:
        arrow = pl.from_arrow(schema.empty_table())
        assert isinstance(arrow, pl.DataFrame)  # noqa: S101 - a table converts to a frame
        return arrow.schema == pl.scan_parquet(path).collect_schema()
    except (pl.exceptions.PolarsError, pa.ArrowException):
        return False


def _excel_batches(
    path: Path, spec: SourceSpec, rows: int, limit: int | None
) -> Iterator[pl.DataFrame]:
    name = spec.display
    _, _, sheet = _read_excel(path, spec.sheet, 100, name)
    try:
        loaded = fastexcel.read_excel(str(path)).load_sheet(sheet, n_rows=limit)
        frame = loaded.to_polars()
    except Exception as exc:
        raise _error(
            f"{name} is not a readable Excel workbook: {exc}",
            f"{name} 不是可读的 Excel 工作簿：{exc}",
        ) from exc
    for start in range(0, frame.height, rows):
        yield frame.slice(start, rows)


def _database_batches(
    spec: SourceSpec, *, batch_rows: int, limit: int | None
) -> Iterator[pl.DataFrame]:
    with _open_table(spec) as (conn, table):
        names = [c.name for c in table.columns]
        query = sa.select(table)
        if limit is not None:
            query = query.limit(limit)
        result = conn.execution_options(stream_results=True, yield_per=batch_rows).execute(query)
        for part in result.partitions():
            yield _rows_frame(part, names)
