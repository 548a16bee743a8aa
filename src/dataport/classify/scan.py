"""Scanning a whole source: units of work, batches, merged evidence, individuals, grades.

A source is split into units of work (a file, or a range of a Parquet file's row groups);
each unit is read in batches, and every batch yields mergeable evidence per column and
sketches of the individuals it identifies. Units run in this process, in local processes or
on a Ray cluster (``executors``); their results merge into one, which is then graded by a
rule pack. Memory is bounded by the batch size, not by the source.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import queue
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from dataport.catalog import sources
from dataport.catalog.models import SourceKind
from dataport.catalog.sources import SourceSpec
from dataport.classify import freetext
from dataport.classify.column import (
    DEFAULT_MIN_CONFIDENCE,
    ColumnEvidence,
    ColumnPlan,
    ColumnScan,
    column_evidence,
    merge_states,
    scan_from_evidence,
)
from dataport.classify.detectors.base import Sensitivity
from dataport.classify.grading import (
    CatalogueMatch,
    DatasetFacts,
    RulePack,
    grade_column,
    grade_dataset,
)
from dataport.classify.registry import all_detectors
from dataport.classify.schemas import (
    CatalogueMatchOut,
    CitationOut,
    ColumnResult,
    Finding,
    IdentifierCount,
    ImportantData,
    Individuals,
    Label,
    RulePackRef,
    SampleInfo,
    ScanResult,
    SourceInfo,
    TextSample,
)
from dataport.classify.sketch import DistinctSketch, hashes
from dataport.errors import SourceError

#: Rows read when no ``--full`` scan is asked for.
DEFAULT_SAMPLE_ROWS = 50_000
#: Rows per batch: memory is a few times the text of this many rows.
BATCH_ROWS = 200_000
#: Rows of each unit every detector examines in full before later batches are planned.
FIRST_ROWS = 20_000
#: The largest single value a scan examines; larger ones are an error, not a slow scan.
MAX_CELL_BYTES = 16 << 20
#: Identifying categories, strongest first: a row's individual is keyed by the first found.
IDENTIFYING = (
    "cn_resident_id",
    "foreigner_permanent_id",
    "passport",
    "hk_macau_permit",
    "taiwan_permit",
    "hk_id_card",
    "macau_id_card",
    "taiwan_id_card",
    "cn_mobile",
    "email",
)
_NAME = "person_name"
_ADDRESS = "address"
_ID = "cn_resident_id"
_ROW = "row"
_CANDIDATE = "candidate"

#: ``progress(rows_done, rows_total)``; the total is None when unknown before reading.
ScanProgress = Callable[[int, int | None], None]


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """How to scan: the date ages are computed at, how much to read, how to batch."""

    as_of: dt.date
    #: Rows to sample; None reads every row.
    sample_rows: int | None = DEFAULT_SAMPLE_ROWS
    batch_rows: int = BATCH_ROWS
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    max_cell_bytes: int = MAX_CELL_BYTES
    #: Rows of each unit examined by every detector before the others are planned.
    first_rows: int = FIRST_ROWS
    #: Columns of a batch examined at once (threads); None: two per core this process may use,
    #: so one column's steps in Python overlap another's in Polars (measured: 12 % faster than
    #: one per core on 2 cores).
    column_threads: int | None = None


@dataclass(frozen=True, slots=True)
class Unit:
    """A piece of a source one worker reads and scans on its own."""

    spec: SourceSpec
    #: The local file; None for a database table, or a URL the worker stages itself.
    path: str | None
    workdir: str
    encoding: str | None = None
    row_groups: tuple[int, ...] | None = None
    #: Row number (1 = the first data row) of the unit's first row, for error messages.
    first_row: int = 1
    limit: int | None = None
    rows: int | None = None
    #: CSV/TSV: the byte range of the data rows this unit reads.
    byte_range: tuple[int, int] | None = None
    #: Whether this unit samples free text (``freetext``): only the first unit of a source
    #: does, so the bounded sample and its libraries' load are paid once per scan.
    samples_free_text: bool = True


@dataclass(slots=True)
class PartialScan:
    """What a unit (or several, merged) found; merging partials equals scanning them at once."""

    order: list[str] = field(default_factory=list)
    columns: dict[str, ColumnEvidence] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    pi_rows: int = 0
    individuals: DistinctSketch = field(default_factory=DistinctSketch)
    sensitive: DistinctSketch = field(default_factory=DistinctSketch)
    minors: DistinctSketch = field(default_factory=DistinctSketch)
    identifiers: dict[tuple[str, str], DistinctSketch] = field(default_factory=dict)
    #: Per column, what the batches showed of each category (see ``ColumnPlan``).
    states: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Per free-text column, names and addresses in a bounded sample of cells (``freetext``).
    texts: dict[str, freetext.TextEvidence] = field(default_factory=dict)

    def merge(self, other: PartialScan) -> PartialScan:
        columns = dict(self.columns)
        for name, found in other.columns.items():
            columns[name] = columns[name].merge(found) if name in columns else found
        identifiers = dict(self.identifiers)
        for key, sketch in other.identifiers.items():
            identifiers[key] = identifiers[key].merge(sketch) if key in identifiers else sketch
        order = self.order + [n for n in other.order if n not in self.columns]
        return PartialScan(
            order=order,
            columns=columns,
            types=self.types | {k: v for k, v in other.types.items() if k not in self.types},
            rows=self.rows + other.rows,
            pi_rows=self.pi_rows + other.pi_rows,
            individuals=self.individuals.merge(other.individuals),
            sensitive=self.sensitive.merge(other.sensitive),
            minors=self.minors.merge(other.minors),
            identifiers=identifiers,
            states={
                name: merge_states(self.states.get(name, {}), other.states.get(name, {}))
                for name in {*self.states, *other.states}
            },
            texts={
                name: self.texts.get(name, freetext.TextEvidence()).merge(found)
                for name, found in other.texts.items()
            }
            | {name: found for name, found in self.texts.items() if name not in other.texts},
        )


def _kept_categories() -> frozenset[str]:
    return frozenset(
        d.category for d in all_detectors() if d.sensitivity is not Sensitivity.NOT_PERSONAL
    )


def _check_cells(frame: pl.DataFrame, options: ScanOptions, unit: Unit, offset: int) -> None:
    # The schema once: building it costs as much as the frame is wide.
    schema = frame.schema
    text = [name for name, dtype in schema.items() if dtype in (pl.String, pl.Binary)]
    if not text:
        return
    sizes = frame.select(
        pl.col(name).cast(pl.Binary).bin.size().max().alias(name)
        if schema[name] == pl.Binary
        else pl.col(name).str.len_bytes().max().alias(name)
        for name in text
    ).row(0, named=True)
    for name, size in sizes.items():
        if isinstance(size, int) and size > options.max_cell_bytes:
            column = frame.get_column(name)
            lengths = (
                column.cast(pl.Binary).bin.size()
                if column.dtype == pl.Binary
                else (column.str.len_bytes())
            )
            index = lengths.arg_max() or 0
            limit = options.max_cell_bytes >> 20
            megabytes = f"{size / (1 << 20):.0f}"
            if unit.byte_range is None:
                row: int | None = unit.first_row + offset + index
                where_en, where_zh = f"row {row}", f"第 {row} 行"
            else:
                # Rows of a range of a file are not numbered: its byte offset says where.
                row = None
                where_en = f"a row after byte {unit.byte_range[0]:,}"
                where_zh = f"第 {unit.byte_range[0]:,} 字节之后的一行"
            raise SourceError(
                f"{unit.spec.display}: {where_en}, column {name!r} holds a single value of "
                f"{megabytes} MB; a scan examines values of up to {limit} MB",
                f"{unit.spec.display}：{where_zh} {name!r} 列的单个值大小为 {megabytes} MB；"
                f"扫描只检查不超过 {limit} MB 的值",
                field="source",
                row=row,
                column=name,
            )


def scan_frame(
    frame: pl.DataFrame,
    options: ScanOptions,
    *,
    unit: Unit | None = None,
    offset: int = 0,
    plans: dict[str, ColumnPlan] | None = None,
    free_text: bool = True,
) -> PartialScan:
    """Evidence, individuals and minors in one batch of rows (``plans``: see ``ColumnPlan``).

    ``free_text``: whether the first batch (``offset`` 0) also samples free-text cells; a
    caller that samples them itself, alongside, says no."""
    if unit is not None:
        _check_cells(frame, options, unit, offset)
    keep = _kept_categories()

    def examine(name: str) -> ColumnEvidence:
        return _examine(frame, name, options, keep, (plans or {}).get(name))

    threads = min(_column_threads(options), frame.width)
    if threads > 1:
        # Polars releases the GIL while it computes: columns are examined side by side.
        with ThreadPoolExecutor(max_workers=threads) as pool:
            examined = list(pool.map(examine, frame.columns))
    else:
        examined = [examine(name) for name in frame.columns]
    partial = _batch_result(frame, dict(zip(frame.columns, examined, strict=True)), options)
    if free_text and offset == 0 and (unit is None or unit.samples_free_text):
        # The first batch of the first unit: a bounded sample of free text (per-cell Python).
        partial.texts = freetext.sample_frame(frame)
    return partial


def _examine(
    frame: pl.DataFrame,
    name: str,
    options: ScanOptions,
    keep: frozenset[str],
    plan: ColumnPlan | None,
) -> ColumnEvidence:
    return column_evidence(frame.get_column(name), name, as_of=options.as_of, keep=keep, plan=plan)


def _batch_result(
    frame: pl.DataFrame, columns: dict[str, ColumnEvidence], options: ScanOptions
) -> PartialScan:
    """A batch's partial scan from its examined columns: individuals, minors, states."""
    scans = {
        name: scan_from_evidence(found, min_confidence=options.min_confidence)
        for name, found in columns.items()
    }
    partial = PartialScan(
        order=list(frame.columns),
        types={name: str(dtype) for name, dtype in frame.schema.items()},
        rows=frame.height,
    )
    _count_individuals(partial, frame, columns, scans)
    for name, found in columns.items():
        found.matches = {}
        found.minor_ids = None
        partial.states[name] = found.states
    partial.columns = columns
    return partial


def _column_threads(options: ScanOptions) -> int:
    return options.column_threads or 2 * cores()


def cores() -> int:
    """The CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _hits(scan: ColumnScan, category: str) -> bool:
    return category in scan.categories


#: Mixed into a value's hash so equal strings of different categories count apart.
_SALTS = {
    category: np.uint64((index + 1) * 0x9E37_79B9_7F4A_7C15 % 2**64)
    for index, category in enumerate((*IDENTIFYING, "name+address"))
}


def _first_per_row(found: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Rows and the hash of each row's first value (text columns may hold several)."""
    rows = found.get_column(_ROW).to_numpy()
    values = hashes(found.get_column(_CANDIDATE))
    if bool(np.all(rows[1:] > rows[:-1])):
        # One value per row, in row order (whole cells): nothing to pick.
        return rows, values
    unique_rows, first = np.unique(rows, return_index=True)
    return unique_rows, values[first]


def _count_individuals(
    partial: PartialScan,
    frame: pl.DataFrame,
    columns: dict[str, ColumnEvidence],
    scans: dict[str, ColumnScan],
) -> None:
    """One key per row from the identifying columns this batch holds, counted distinct.

    Arrays over the batch's rows: each row takes the hash of its strongest identifier.
    """
    height = frame.height
    key = np.zeros(height, dtype=np.uint64)
    keyed = np.zeros(height, dtype=bool)

    def assign(rows: np.ndarray, values: np.ndarray) -> None:
        free = ~keyed[rows]
        key[rows[free]] = values[free]
        keyed[rows[free]] = True

    for category in IDENTIFYING:
        for name, scan in scans.items():
            found = columns[name].matches.get(category)
            if found is None or not _hits(scan, category):
                continue
            sketch = partial.identifiers.setdefault((name, category), DistinctSketch())
            sketch.add(hashes(found.get_column(_CANDIDATE)))
            rows, values = _first_per_row(found)
            assign(rows, values ^ _SALTS[category])
    names = [n for n, s in scans.items() if _hits(s, _NAME) and _NAME in columns[n].matches]
    places = [n for n, s in scans.items() if _hits(s, _ADDRESS) and _ADDRESS in columns[n].matches]
    if names and places:
        who_rows, who = _first_per_row(columns[names[0]].matches[_NAME])
        where_rows, where = _first_per_row(columns[places[0]].matches[_ADDRESS])
        # Rows are distinct and sorted: positions by row, not a sort of both.
        at = np.full((2, height), -1, dtype=np.int64)
        at[0, who_rows] = np.arange(len(who_rows))
        at[1, where_rows] = np.arange(len(where_rows))
        both = np.flatnonzero((at[0] >= 0) & (at[1] >= 0))
        at_who, at_where = at[0, both], at[1, both]
        pair = who[at_who] * np.uint64(0x100_0000_01B3) + where[at_where]
        assign(both, pair ^ _SALTS["name+address"])
    partial.individuals.add(key[keyed])

    personal = np.zeros(height, dtype=bool)
    sensitive = np.zeros(height, dtype=bool)
    for name, scan in scans.items():
        for hit in scan.hits:
            if hit.sensitivity is Sensitivity.NOT_PERSONAL:
                continue
            found = columns[name].matches.get(hit.category)
            if found is not None:
                rows = found.get_column(_ROW).to_numpy()
            else:
                # Found from the column name (health, religion …): every filled cell counts.
                rows = np.flatnonzero(frame.get_column(name).is_not_null().to_numpy())
            personal[rows] = True
            if hit.sensitivity is Sensitivity.SENSITIVE:
                sensitive[rows] = True
    partial.pi_rows = int(personal.sum())
    partial.sensitive.add(key[keyed & sensitive])
    for name, scan in scans.items():
        # The column's examination found its minors' IDs already (ages at ``as_of``).
        young = columns[name].minor_ids
        if young is not None and _hits(scan, _ID):
            partial.minors.add(hashes(young))


# -- units of work ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    """The units a source splits into, how many rows they hold if known, and what is read."""

    units: tuple[Unit, ...]
    rows_total: int | None
    description: Label
    #: Whether every row is read (False for a sample).
    complete: bool = True


def plan_units(
    spec: SourceSpec, path: Path | None, options: ScanOptions, *, workdir: Path, parts: int
) -> Plan:
    """Split a source into units: ranges of row groups for Parquet, byte ranges for large
    CSV/TSV, the whole source otherwise."""
    plan = _split(spec, path, options, workdir=workdir, parts=parts)
    later = tuple(replace(u, samples_free_text=False) for u in plan.units[1:])
    return replace(plan, units=(*plan.units[:1], *later))


def _split(
    spec: SourceSpec, path: Path | None, options: ScanOptions, *, workdir: Path, parts: int
) -> Plan:
    base = Unit(spec=spec, path=str(path) if path else None, workdir=str(workdir))
    limit = options.sample_rows
    if spec.format in ("csv", "tsv", "jsonl") and path is not None:
        base = replace(base, encoding=sources.text_encoding(path, spec))
    if spec.format == "parquet" and path is not None:
        groups = sources.parquet_row_groups(path, spec)
        total = sum(groups)
        if limit is not None and total > limit:
            return _parquet_sample(base, groups, limit, total)
        return Plan(_parquet_ranges(base, groups, parts), total, _full_label(total))
    if limit is None:
        if spec.format in ("csv", "tsv") and path is not None and base.encoding is not None:
            ranges = sources.csv_ranges(path, base.encoding, parts)
            if len(ranges) > 1:
                units = tuple(replace(base, byte_range=r, first_row=0) for r in ranges)
                return Plan(units, None, _full_label(None))
        return Plan((base,), None, _full_label(None))
    return Plan(
        (replace(base, limit=limit),),
        None,
        Label(
            zh=f"抽样：前 {limit:,} 行（--full 读取全部数据）",
            en=f"sample: the first {limit:,} rows (--full reads every row)",
        ),
        complete=False,
    )


def _full_label(total: int | None) -> Label:
    if total is None:
        return Label(zh="全量：读取全部数据", en="full: every row read")
    return Label(zh=f"全量：读取全部 {total:,} 行", en=f"full: all {total:,} rows read")


def _parquet_ranges(base: Unit, groups: Sequence[int], parts: int) -> tuple[Unit, ...]:
    if not groups:
        return (replace(base, row_groups=(), rows=0),)
    count = max(1, min(len(groups), parts))
    bounds = np.linspace(0, len(groups), count + 1).round().astype(int)
    starts = np.concatenate([[0], np.cumsum(groups)])
    units = []
    for lo, hi in itertools.pairwise(bounds):
        if hi > lo:
            units.append(
                replace(
                    base,
                    row_groups=tuple(range(int(lo), int(hi))),
                    first_row=int(starts[lo]) + 1,
                    rows=int(starts[hi] - starts[lo]),
                )
            )
    return tuple(units)


def _parquet_sample(base: Unit, groups: Sequence[int], limit: int, total: int) -> Plan:
    """Row groups spread evenly through the file until ``limit`` rows are reached."""
    order = np.linspace(0, len(groups) - 1, len(groups)).round().astype(int)
    step = max(1, round(total / limit)) if len(groups) > 1 else 1
    chosen: list[int] = []
    rows = 0
    for index in [*order[::step], *order]:
        if index in chosen:
            continue
        chosen.append(int(index))
        rows += groups[index]
        if rows >= limit:
            break
    chosen.sort()
    unit = replace(base, row_groups=tuple(chosen), limit=limit, rows=min(rows, limit))
    return Plan(
        (unit,),
        total,
        Label(
            zh=f"抽样：{min(rows, limit):,} 行，取自分布于全文件的 {len(chosen)} 个行组"
            f"（共 {total:,} 行；--full 读取全部数据）",
            en=f"sample: {min(rows, limit):,} rows from {len(chosen)} "
            f"row group{'s' if len(chosen) > 1 else ''} spread through the file "
            f"({total:,} rows in all; --full reads every row)",
        ),
        complete=False,
    )


@contextmanager
def _unit_path(unit: Unit) -> Iterator[Path | None]:
    if unit.path is not None:
        yield Path(unit.path)
        return
    with sources.local_copy(unit.spec, Path(unit.workdir)) as path:
        yield path


def scan_unit(
    unit: Unit,
    options: ScanOptions,
    on_batch: Callable[[int], None] | None = None,
    plans: dict[str, ColumnPlan] | None = None,
) -> PartialScan:
    """Read one unit in batches and scan every batch (runs in any process).

    Without ``plans``, the unit's first rows are examined by every detector and what they
    show plans the rest (see ``ColumnPlan``); with them, every batch follows them.
    """
    seed = {name: plan.states() for name, plan in (plans or {}).items()}
    # The free-text sample (jieba, cpca: mostly Python, and their loading) runs beside the
    # scan of the batches, which spends most of its time outside the interpreter.
    with _unit_path(unit) as path, ThreadPoolExecutor(max_workers=1) as beside:
        texts: Future[dict[str, freetext.TextEvidence]] | None = None
        batches = sources.iter_batches(
            unit.spec,
            path,
            batch_rows=options.batch_rows,
            limit=unit.limit,
            row_groups=unit.row_groups,
            encoding=unit.encoding,
            byte_range=unit.byte_range,
        )
        read = _read_ahead(batches)

        def parts() -> Iterator[_Part]:
            nonlocal texts
            offset = 0
            for frame in read:
                if texts is None and unit.samples_free_text:
                    texts = beside.submit(freetext.sample_frame, frame)
                learning = plans is None and offset == 0
                pieces = (frame.head(options.first_rows), frame.slice(options.first_rows))
                kept = [p for p in (pieces if learning else (frame,)) if p.height]
                for i, piece in enumerate(kept):
                    # A column's first part (without plans, the unit's first rows) has no
                    # states to follow: every detector examines every cell.
                    yield _Part(piece, offset, batch_rows=frame.height if i == len(kept) - 1 else 0)
                    offset += piece.height

        partial = _scan_parts(parts(), unit, options, seed, on_batch)
        if texts is not None:
            partial.texts = texts.result()
    return partial


@dataclass(slots=True)
class _Part:
    """A batch (or the learning head or rest of one) on its way through ``_scan_parts``."""

    frame: pl.DataFrame
    offset: int
    #: The rows of the batch it completes, for progress (0 if it does not end a batch).
    batch_rows: int
    waiting: list[str] = field(default_factory=list)
    columns: dict[str, ColumnEvidence] = field(default_factory=dict)
    result: Future[PartialScan] | None = None


#: Parts in flight at once: a column moves on to the next part while others finish the last.
_PARTS_IN_FLIGHT = 2


def _scan_parts(
    parts: Iterator[_Part],
    unit: Unit,
    options: ScanOptions,
    seed: dict[str, dict[str, str]],
    on_batch: Callable[[int], None] | None,
) -> PartialScan:
    """Examine the parts' columns on a pool of threads and merge the parts' results in order.

    Each column is a chain of its parts: a column's next part starts as soon as its own last
    part is examined (its plan needs that part's states), not when every column of the last
    part is, so one slow column no longer leaves the other threads waiting, and a part's
    individuals are counted while the next part's columns are examined. Every part's evidence
    is what examining the parts one after the other gives.
    """
    keep = _kept_categories()
    states = {name: dict(found) for name, found in seed.items()}
    # Per column, whether its cells repeat, once a long enough part has shown it.
    repeats: dict[str, bool] = {}
    partial = PartialScan()
    window: list[_Part] = []
    running: dict[Future[ColumnEvidence], tuple[_Part, str]] = {}
    pending = iter(parts)
    exhausted = False
    # Every finished task reports here: waiting for the next one costs nothing, however many
    # are under way (waiting on all of them would take the interpreter lock for each, each
    # time).
    finished: queue.SimpleQueue[Future[Any]] = queue.SimpleQueue()
    with ThreadPoolExecutor(max_workers=_column_threads(options)) as pool:

        def submit(task: Callable[..., Any], *args: Any) -> Future[Any]:
            future = pool.submit(task, *args)
            future.add_done_callback(finished.put)
            return future

        try:
            while True:
                while not exhausted and len(window) < _PARTS_IN_FLIGHT:
                    part = next(pending, None)
                    if part is None:
                        exhausted = True
                        break
                    _check_cells(part.frame, options, unit, part.offset)
                    part.waiting = list(part.frame.columns)
                    if not part.waiting:
                        part.result = submit(_batch_result, part.frame, {}, options)
                    window.append(part)
                if not window:
                    return partial
                # A column's part starts once its parts before are examined.
                held: set[str] = {name for _, name in running.values()}
                for part in window:
                    for name in list(part.waiting):
                        if name in held:
                            continue
                        held.add(name)
                        part.waiting.remove(name)
                        plan = (
                            ColumnPlan.after(states[name], repeats=repeats.get(name))
                            if name in states
                            else None
                        )
                        task = submit(_examine, part.frame, name, options, keep, plan)
                        running[task] = (part, name)
                    held.update(part.waiting)
                # Something is under way whenever parts are in the window: a column of its
                # first part, or a part's result.
                done = [finished.get()]
                with suppress(queue.Empty):
                    while True:
                        done.append(finished.get_nowait())
                for task in done:
                    if task in running:
                        part, name = running.pop(task)
                        found = task.result()
                        part.columns[name] = found
                        states[name] = merge_states(states.get(name, {}), found.states)
                        if found.repeats is not None:
                            repeats[name] = found.repeats
                        if len(part.columns) == part.frame.width:
                            examined = _in_order(part)
                            part.result = submit(_batch_result, part.frame, examined, options)
                # Parts are merged in order, as they were read.
                while window and (result := window[0].result) is not None and result.done():
                    part = window.pop(0)
                    partial = partial.merge(result.result())
                    if on_batch is not None and part.batch_rows:
                        on_batch(part.batch_rows)
        except BaseException:
            # A scan that fails stops at once: the examinations not started are dropped.
            pool.shutdown(cancel_futures=True)
            raise


def _in_order(part: _Part) -> dict[str, ColumnEvidence]:
    return {name: part.columns[name] for name in part.frame.columns}


def _read_ahead(batches: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    """The batches, each next one read in a thread while the caller scans the last."""
    try:
        with ThreadPoolExecutor(max_workers=1) as reader:
            pending = reader.submit(next, batches, None)
            while (frame := pending.result()) is not None:
                pending = reader.submit(next, batches, None)
                yield frame
    finally:
        # A scan stopped early (a limit, an error) releases the source here, not at exit.
        if isinstance(batches, Generator):
            batches.close()


def learn_plans(unit: Unit, options: ScanOptions) -> dict[str, ColumnPlan]:
    """Plans for every unit of a source, from its first rows examined by every detector."""
    # Only the states count: the free-text sample is the first unit's to take.
    head = scan_unit(replace(unit, limit=options.first_rows, samples_free_text=False), options)
    return {name: ColumnPlan.after(states) for name, states in head.states.items()}


# -- the result ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CatalogueItem:
    """An entry of an organisation's important-data catalogue, as the scan matches it."""

    id: str
    name: str
    level: str
    fields: tuple[str, ...]
    dataset: str | None = None


def _field_key(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch not in " _-\t")


def catalogue_matches(
    items: Sequence[CatalogueItem], column: str, dataset_name: str | None
) -> list[CatalogueMatch]:
    """The declared items naming ``column`` (case, spaces, ``_`` and ``-`` ignored)."""
    key = _field_key(column)
    found = []
    for item in items:
        if item.dataset is not None and item.dataset != dataset_name:
            continue
        if any(_field_key(f) == key for f in item.fields):
            if item.level == "core":
                found.append(CatalogueMatch(item.id, item.name, "core", column))
            else:
                found.append(CatalogueMatch(item.id, item.name, "important", column))
    return found


def _label(pack: RulePack, level: str) -> Label:
    found = pack.level(level)
    return Label(zh=found.zh, en=found.en)


def finish(
    partial: PartialScan,
    *,
    source: SourceInfo,
    plan: Plan,
    options: ScanOptions,
    pack: RulePack,
    catalogue: Sequence[CatalogueItem] = (),
    dataset_name: str | None = None,
    started: float | None = None,
) -> ScanResult:
    """Grade what a scan found and say it in the stable result contract."""
    if partial.rows == 0:
        raise SourceError(
            f"{source.location} has no rows: there is nothing to scan",
            f"{source.location} 没有数据行：无可扫描的内容",
            field="source",
        )
    labels = {d.category: Label(zh=d.label_zh, en=d.label_en) for d in all_detectors()}
    results: list[ColumnResult] = []
    grades = []
    categories: set[str] = set()
    matches_out: list[CatalogueMatchOut] = []
    for name in partial.order:
        column = partial.columns[name]
        scan = scan_from_evidence(column, min_confidence=options.min_confidence)
        scan, sampled = freetext.with_sample_hits(
            scan, partial.texts.get(name), context=column.context
        )
        matched = catalogue_matches(catalogue, name, dataset_name)
        grade = grade_column(pack, scan, matched)
        grades.append(grade)
        categories |= set(scan.categories)
        column_matches = [
            CatalogueMatchOut(item_id=m.item_id, name=m.name, level=m.level, column=m.column)
            for m in matched
        ]
        matches_out += column_matches
        results.append(
            ColumnResult(
                name=name,
                type=partial.types.get(name),
                non_null=scan.non_null,
                categories=list(scan.categories),
                findings=[
                    Finding(
                        category=h.category,
                        label=labels[h.category],
                        matched=h.matched,
                        ratio=h.ratio,
                        confidence=h.confidence,
                        examples=list(h.examples),
                        name_matched=h.name_matched,
                        sensitivity=str(h.sensitivity),
                        sample=_sample_out(sampled.get(h.category)),
                    )
                    for h in scan.hits
                ],
                is_pi=scan.sensitivity() is not Sensitivity.NOT_PERSONAL,
                is_sensitive=scan.sensitivity() is Sensitivity.SENSITIVE,
                grade=grade.level,
                grade_label=_label(pack, grade.level),
                grade_rules=list(grade.rules),
                flags=list(grade.flags),
                important_data=column_matches,
            )
        )
    contains_pi = any(c.is_pi for c in results)
    identified = partial.individuals.count() > 0
    rows_instead = partial.pi_rows if contains_pi else 0
    estimate = partial.individuals.count() if identified else rows_instead
    sensitive_count = partial.sensitive.count() if identified else 0
    contains_sensitive = any(c.is_sensitive for c in results)
    if contains_sensitive and not identified:
        sensitive_count = estimate
    individuals = Individuals(
        estimate=estimate,
        method="exact" if partial.individuals.is_exact else "hyperloglog",
        relative_error=partial.individuals.relative_error,
        sensitive=sensitive_count,
        minors=partial.minors.count(),
        rows_with_pi=partial.pi_rows,
        identified=identified,
        by_identifier=[
            IdentifierCount(column=column, category=category, distinct=sketch.count())
            for (column, category), sketch in partial.identifiers.items()
        ],
    )
    facts = DatasetFacts(
        individuals=estimate,
        sensitive_individuals=sensitive_count,
        minors=individuals.minors,
        categories=frozenset(categories),
    )
    overall = grade_dataset(pack, grades, facts)
    cited = dict.fromkeys([*(c for g in grades for c in g.citations), *overall.citations])
    sensitive_categories = sorted(
        {f.category for c in results for f in c.findings if f.sensitivity == "sensitive"}
    )
    candidates = [c.name for c in results if "important_candidate" in c.flags]
    limit = options.sample_rows
    if not plan.complete and limit is not None and partial.rows < limit:
        # The sample asked for more rows than there are: every row was read.
        plan = replace(plan, complete=True, description=_full_label(partial.rows))
    return ScanResult(
        scanned_at=dt.datetime.now(dt.UTC),
        as_of=options.as_of,
        source=source,
        sample=SampleInfo(
            mode="full" if plan.complete else "sample",
            rows_scanned=partial.rows,
            rows_total=plan.rows_total,
            description=plan.description,
        ),
        rulepack=RulePackRef(
            id=pack.id, version=pack.version, title=Label(zh=pack.title.zh, en=pack.title.en)
        ),
        columns=results,
        individuals=individuals,
        contains_pi=contains_pi,
        contains_sensitive=contains_sensitive,
        sensitive_categories=sensitive_categories,
        important_data=ImportantData(
            contains=bool(matches_out),
            contains_core=any(m.level == "core" for m in matches_out),
            matches=matches_out,
            candidates=candidates,
        ),
        dataset_grade=overall.level,
        dataset_grade_label=_label(pack, overall.level),
        dataset_grade_rules=list(overall.rules),
        dataset_flags=list(overall.flags),
        citations=[
            CitationOut(
                key=key,
                ref=pack.citations[key].ref,
                zh=pack.citations[key].zh,
                en=pack.citations[key].en,
                status=pack.citations[key].status,
            )
            for key in cited
        ],
        elapsed_seconds=round(time.monotonic() - started, 3) if started is not None else 0.0,
    )


def _sample_out(note: freetext.SampleNote | None) -> TextSample | None:
    if note is None:
        return None
    return TextSample(cells=note.cells, matched=note.matched, method=note.method)


def source_info(spec: SourceSpec, units: Sequence[Unit], sheet: str | None = None) -> SourceInfo:
    encoding = units[0].encoding if units else None
    return SourceInfo(
        location=spec.display,
        format=spec.format,
        encoding=encoding,
        sheet=spec.sheet or sheet,
        table=spec.table if spec.kind is SourceKind.database else None,
    )
