"""Benchmarks of the scanner: throughput against Polars and Presidio, memory, accuracy.

    .venv/bin/python bench/classify.py                    # 1 GB CSV and Parquet, accuracy
    .venv/bin/python bench/classify.py --gigabytes 5 --skip-presidio --skip-accuracy

Writes bench/results/classify-<timestamp>.json. In one run, on the same files:

- throughput: a full ``dataport`` scan (every detector, every row, local worker processes)
  against Polars' own ``read_csv`` / ``read_parquet`` of the same file, the two alternating
  three times, each side's best kept; the Parquet scan also against ``read_csv`` of the same
  rows in the CSV file;
- memory: the peak resident memory of the scan's whole process tree, sampled every 0.1 s;
- Presidio: ``BatchAnalyzerEngine`` with pattern recognizers for the same Chinese categories
  and a blank spaCy pipeline (no model can be downloaded here), on a sample of the table;
- accuracy: labelled generated tables with traps; precision, recall and F1 per category and
  overall, at column level.

The data is generated: a pool of customers from ``dataport.samples`` (valid check digits),
widened to the target size with freshly numbered ID numbers, phones, cards and e-mails, plus
an order number (a trap: 18 digits that are no ID), a device IP, a SKU and a free-text note
in which one row in five mentions a phone number written straight after Chinese text.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dataport.classify import checksums  # noqa: E402
from dataport.samples.customers import customers  # noqa: E402

RESULTS = ROOT / "bench" / "results"
#: Alternating rounds of Polars' read and the scan; each side keeps its best.
ROUNDS = 3
AS_OF = dt.date(2025, 6, 1)
POOL = 20_000
NOTES = (
    "客户来电咨询订单配送进度，已告知预计三个工作日内送达。",
    "会员等级调整为金卡，积分已同步至账户。",
    "退货申请已审核通过，款项将原路退回。",
    "客户反馈商品包装破损，已安排补发并致歉。",
    "发票抬头需变更为公司名称，已提交财务处理。",
    "预约周末上门安装，客户要求提前电话联系。",
)


# -- the mixed table -----------------------------------------------------------------------------


def _luhn_complete(bodies: np.ndarray) -> np.ndarray:
    """Check digits (Luhn) for rows of digits, the check position still missing."""
    digits = bodies[:, ::-1]
    doubled = digits.copy()
    # The check digit will stand rightmost, so the body's rightmost digit is doubled.
    twice = digits[:, 0::2] * 2
    doubled[:, 0::2] = np.where(twice > 9, twice - 9, twice)
    return (10 - doubled.sum(axis=1) % 10) % 10


def _digits(rng: np.random.Generator, rows: int, width: int) -> pl.Series:
    values = rng.integers(0, 10**width, size=rows, dtype=np.int64)
    return pl.Series(values).cast(pl.String).str.zfill(width)


@functools.cache
def _pool() -> pl.DataFrame:
    return customers(POOL, seed=7, today=AS_OF)


def _cat(*parts: Any) -> pl.Series:
    return pl.select(pl.concat_str([pl.lit(p) for p in parts])).to_series()


def mixed_table(rows: int, seed: int = 7) -> pl.DataFrame:
    """``rows`` rows of a customer-and-order export; identifiers numbered afresh per row."""
    rng = np.random.default_rng(seed)
    pool = _pool()
    picked = pool[rng.integers(0, POOL, size=rows)]
    ids = picked["身份证号"]
    body = _cat(ids.str.slice(0, 14), _digits(rng, rows, 3))
    check = pl.DataFrame({"b": body}).select(checksums.mod11_2_check_char(pl.col("b"))).to_series()
    card_body = rng.integers(0, 10, size=(rows, 18))
    card_body[:, :6] = [6, 2, 2, 2, 0, 2]
    card_check = _luhn_complete(card_body)
    card_strings = (
        pl.DataFrame(card_body.astype(np.int8))
        .select(pl.concat_str([pl.all().cast(pl.String)]))
        .to_series()
    )
    phones = _cat(picked["手机号"].str.slice(0, 3), _digits(rng, rows, 8))
    note_choice = rng.integers(0, len(NOTES), size=rows)
    notes = pl.Series(np.array(NOTES, dtype=object)[note_choice].astype(str))
    mention = rng.random(rows) < 0.2
    notes = pl.select(
        pl.when(pl.lit(pl.Series(mention)))
        .then(pl.concat_str([pl.lit("客户联系电话"), pl.lit(phones), pl.lit("，"), pl.lit(notes)]))
        .otherwise(pl.lit(notes))
    ).to_series()
    years = pl.Series(rng.choice(["20230", "20240", "20250"], size=rows))
    orders = _cat(years, _digits(rng, rows, 13))
    return pl.DataFrame(
        {
            "客户编号": pl.Series(np.arange(1, rows + 1)).cast(pl.String).str.zfill(9),
            "姓名": picked["姓名"],
            "性别": picked["性别"],
            "身份证号": _cat(body, check),
            "出生日期": picked["出生日期"],
            "手机号": phones,
            "电子邮箱": _cat(
                picked["电子邮箱"].str.extract(r"^([^@]+)@", 1), _digits(rng, rows, 4), "@qq.com"
            ),
            "住址": picked["住址"],
            "银行卡号": _cat(card_strings, pl.Series(card_check).cast(pl.String)),
            "注册时间": picked["注册时间"],
            "累计消费金额": picked["累计消费金额"].cast(pl.String),
            "会员等级": picked["会员等级"],
            "订单号": orders,
            "设备IP": _cat(
                "10.",
                pl.Series(rng.integers(0, 256, rows)).cast(pl.String),
                ".",
                pl.Series(rng.integers(0, 256, rows)).cast(pl.String),
                ".",
                pl.Series(rng.integers(1, 255, rows)).cast(pl.String),
            ),
            "商品SKU": _cat("SKU-", _digits(rng, rows, 6), "-BLK"),
            "备注": notes,
        }
    )


def write_files(folder: Path, gigabytes: float, seed: int = 7) -> tuple[Path, Path, int]:
    """The CSV (at least ``gigabytes``) and the same rows as Parquet, reused when present."""
    csv = folder / f"mixed-{gigabytes:g}gb.csv"
    parquet = folder / f"mixed-{gigabytes:g}gb.parquet"
    meta = folder / f"mixed-{gigabytes:g}gb.json"
    if csv.exists() and parquet.exists() and meta.exists():
        return csv, parquet, int(json.loads(meta.read_text())["rows"])
    chunk = mixed_table(200_000, seed)
    row_bytes = len(chunk.write_csv()) / chunk.height
    rows = int(gigabytes * 1e9 / row_bytes) + 1
    written = 0
    part = 0
    parts: list[Path] = []
    with csv.open("wb") as out:
        while written < rows:
            frame = chunk if part == 0 else mixed_table(min(200_000, rows - written), seed + part)
            frame = frame.head(rows - written)
            out.write(frame.write_csv(include_header=part == 0).encode())
            piece = folder / f"part-{part}.parquet"
            frame.write_parquet(piece)
            parts.append(piece)
            written += frame.height
            part += 1
    pl.scan_parquet(parts).sink_parquet(parquet, row_group_size=250_000)
    for piece in parts:
        piece.unlink()
    meta.write_text(json.dumps({"rows": rows}))
    # The files just written are still being flushed to disk for a while: measured now, every
    # run would compete with that.
    os.sync()
    return csv, parquet, rows


# -- measuring -----------------------------------------------------------------------------------


def _tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes (Linux /proc)."""
    total = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                stack += [int(c) for c in children]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def run_measured(code: str) -> dict[str, Any]:
    """Run Python ``code`` in a child process: its JSON output, wall time and peak tree RSS."""
    started = time.perf_counter()
    child = subprocess.Popen(  # noqa: S603 - our own interpreter on our own code
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss(child.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = child.communicate()
    stop.set()
    sampler.join()
    elapsed = time.perf_counter() - started
    if child.returncode != 0:
        raise RuntimeError(f"benchmark child failed ({child.returncode}): {out[-2000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result |= {"wall_seconds": round(elapsed, 3), "peak_rss_mb": round(peak / 2**20, 1)}
    return result


POLARS_READ = """
import json, time, polars as pl
started = time.perf_counter()
frame = pl.read_{kind}({path!r}{extra})
print(json.dumps({{"seconds": time.perf_counter() - started, "rows": frame.height}}))
"""

SCAN = """
import datetime as dt, json, time
from pathlib import Path
from dataport.catalog import sources
from dataport.classify.executors import default_workers, scan_source
from dataport.classify.grading import grading_pack
from dataport.classify.scan import ScanOptions
started = time.perf_counter()
result = scan_source(
    sources.resolve({path!r}),
    options=ScanOptions(as_of=dt.date(2025, 6, 1), sample_rows=None),
    pack=grading_pack(),
    workdir=Path({work!r}),
    workers={workers},
)
print(json.dumps({{
    "seconds": time.perf_counter() - started,
    "workers": {workers} or default_workers(),
    "rows": result.sample.rows_scanned,
    "individuals": result.individuals.estimate,
    "individuals_method": result.individuals.method,
    "minors": result.individuals.minors,
    "dataset_grade": result.dataset_grade,
    "categories": {{c.name: c.categories for c in result.columns}},
}}, ensure_ascii=False))
"""


def throughput(
    csv: Path, parquet: Path, workers: int | None, work: Path, formats: list[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind, path, extra in (
        ("csv", csv, ", infer_schema=False"),
        ("parquet", parquet, ""),
    ):
        if kind not in formats:
            continue
        size = path.stat().st_size
        # Read and scan alternate, each the best of ``ROUNDS``: a shared machine's speed drifts
        # over seconds, and both sides of the ratio see the same drift.
        reads: list[dict[str, Any]] = []
        scans: list[dict[str, Any]] = []
        for _ in range(ROUNDS):
            reads.append(run_measured(POLARS_READ.format(kind=kind, path=str(path), extra=extra)))
            scans.append(run_measured(SCAN.format(path=str(path), work=str(work), workers=workers)))
        read = min(reads, key=lambda r: r["seconds"])
        scan = min(scans, key=lambda r: r["seconds"])
        out[kind] = {
            "file_bytes": size,
            "rows": scan["rows"],
            "polars_read_seconds": round(read["seconds"], 3),
            "polars_read_mb_per_s": round(size / 2**20 / read["seconds"], 1),
            "polars_read_peak_rss_mb": max(r["peak_rss_mb"] for r in reads),
            "scan_seconds": round(scan["seconds"], 3),
            "polars_read_seconds_all": [round(r["seconds"], 3) for r in reads],
            "scan_seconds_all": [round(r["seconds"], 3) for r in scans],
            "scan_mb_per_s": round(size / 2**20 / scan["seconds"], 1),
            "scan_peak_rss_mb": max(r["peak_rss_mb"] for r in scans),
            "scan_workers": scan["workers"],
            "ratio_to_polars_read": round(read["seconds"] / scan["seconds"], 4),
            "individuals": scan["individuals"],
            "individuals_method": scan["individuals_method"],
            "minors": scan["minors"],
            "dataset_grade": scan["dataset_grade"],
            "categories": scan["categories"],
        }
        if kind == "parquet" and "csv" in out:
            # The same rows, against what Polars' read_csv takes for them in the CSV file: the
            # issue's yardstick, whatever format the table is scanned from.
            out[kind]["ratio_to_polars_read_csv_same_rows"] = round(
                out["csv"]["polars_read_seconds"] / scan["seconds"], 4
            )
        print(f"  {kind}: {json.dumps(out[kind], ensure_ascii=False)[:300]}", flush=True)
    return out


# -- Presidio ------------------------------------------------------------------------------------


def _presidio_engine() -> Any:
    import spacy
    from presidio_analyzer import (
        AnalyzerEngine,
        BatchAnalyzerEngine,
        Pattern,
        PatternRecognizer,
        RecognizerRegistry,
    )
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    # The patterns of the same categories, written as Presidio users write them: digit
    # look-arounds instead of \b, so numbers after Chinese text are found.
    patterns = {
        "CN_RESIDENT_ID": r"(?<!\d)\d{17}[\dXx](?!\d)|(?<!\d)\d{15}(?!\d)",
        "CN_MOBILE": r"(?<!\d)(?:\+?86)?1[3-9]\d{9}(?!\d)",
        "EMAIL_ADDRESS": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,24}",
        "BANK_CARD": r"(?<!\d)[3-69]\d{15,18}(?!\d)",
        "CN_USCC": r"(?<![0-9A-Z])[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}(?![0-9A-Z])",
        "CN_LICENSE_PLATE": (
            r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]"
            r"[A-HJ-NP-Z][A-HJ-NP-Z0-9]{4,5}"
        ),
        "IMEI": r"(?<!\d)\d{15}(?!\d)",
        "VIN": r"(?<![A-Z0-9])[A-HJ-NPR-Z0-9]{17}(?![A-Z0-9])",
        "IP_ADDRESS": r"(?<!\d)(?:\d{1,3}\.){3}\d{1,3}(?!\d)",
        "MAC_ADDRESS": r"(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}",
        "CN_PASSPORT": r"(?<![A-Z0-9])E[A-Z0-9]\d{7}(?!\d)",
        "CN_LANDLINE": r"(?<!\d)0\d{2,3}-?[2-9]\d{6,7}(?!\d)",
        "HK_MACAU_PERMIT": r"(?<![A-Z0-9])[HM]\d{8}(?:\d{2})?(?!\d)",
    }
    model_dir = Path(tempfile.mkdtemp()) / "zh_blank"
    spacy.blank("zh").to_disk(model_dir)
    nlp_engine = SpacyNlpEngine(models=[{"lang_code": "zh", "model_name": str(model_dir)}])
    registry = RecognizerRegistry(supported_languages=["zh"])
    for entity, regex in patterns.items():
        registry.add_recognizer(
            PatternRecognizer(
                supported_entity=entity,
                patterns=[Pattern(entity.lower(), regex, 0.6)],
                supported_language="zh",
            )
        )
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["zh"])
    return BatchAnalyzerEngine(analyzer_engine=analyzer)


def presidio(csv: Path, rows: int) -> dict[str, Any]:
    sample = pl.read_csv(csv, n_rows=rows, infer_schema=False)
    size = len(sample.write_csv().encode())
    engine = _presidio_engine()
    data = {name: sample[name].to_list() for name in sample.columns}
    # Untimed warm-up (spaCy and regex compilation on first use): only steady work is timed.
    list(engine.analyze_dict({n: v[:20] for n, v in data.items()}, language="zh"))
    started = time.perf_counter()
    results = list(engine.analyze_dict(data, language="zh"))
    seconds = time.perf_counter() - started
    found = {
        r.key: sorted({e.entity_type for row in r.recognizer_results for e in row}) for r in results
    }
    return {
        "rows": rows,
        "bytes": size,
        "seconds": round(seconds, 3),
        "mb_per_s": round(size / 2**20 / seconds, 4),
        "entities_by_column": found,
    }


# -- accuracy ------------------------------------------------------------------------------------


def accuracy(tables: int, rows: int) -> dict[str, Any]:
    """Column-level precision, recall and F1 on labelled tables with traps."""
    from faker import Faker
    from tests.classify import generators as gen
    from tests.classify.test_column import COLUMNS

    from dataport.classify import scan_column

    extra: dict[str, tuple[Callable[[random.Random, Faker], object], set[str]]] = {
        # A phone written straight after Chinese text, which \b patterns miss.
        "联系记录": (lambda r, f: f"电话{gen.mobile(r)}已回访", {"cn_mobile"}),
        # Real IDs under a header that says nothing, and under one that lies.
        "field_3": (lambda r, f: f.ssn(), {"cn_resident_id"}),
        "email_backup": (lambda r, f: gen.order_number(r), set()),
        "ean": (lambda r, f: gen.ean13_cn(r), set()),
    }
    columns = {**COLUMNS, **extra}
    truth: dict[tuple[int, str], set[str]] = {}
    found: dict[tuple[int, str], set[str]] = {}
    started = time.perf_counter()
    for table in range(tables):
        rng = gen.seeded(1000 + table)
        fake = Faker("zh_CN")
        fake.seed_instance(1000 + table)
        for name, (make, expected) in columns.items():
            values = pl.Series(name, [str(make(rng, fake)) for _ in range(rows)])
            scan = scan_column(values, as_of=AS_OF)
            # Minors are derived from IDs; the labels name what a column holds directly.
            found[(table, name)] = set(scan.categories) - {"minor"}
            truth[(table, name)] = set(expected)
    categories = sorted({c for v in (*truth.values(), *found.values()) for c in v})
    per: dict[str, dict[str, float]] = {}
    total_tp = total_fp = total_fn = 0
    for category in categories:
        tp = sum(1 for k in truth if category in truth[k] and category in found[k])
        fp = sum(1 for k in truth if category not in truth[k] and category in found[k])
        fn = sum(1 for k in truth if category in truth[k] and category not in found[k])
        total_tp, total_fp, total_fn = total_tp + tp, total_fp + fp, total_fn + fn
        per[category] = _scores(tp, fp, fn)
    traps = [k for k in truth if not truth[k]]
    false_alarms = sorted(
        f"{name}: {sorted(found[(t, name)])}" for t, name in traps if found[(t, name)]
    )
    return {
        "tables": tables,
        "rows_per_column": rows,
        "columns_per_table": len(columns),
        "trap_columns_per_table": sum(1 for _, e in columns.values() if not e),
        "overall": _scores(total_tp, total_fp, total_fn),
        "per_category": per,
        "trap_false_alarms": false_alarms,
        "misses": sorted(
            f"{name}: {sorted(truth[(t, name)] - found[(t, name)])}"
            for (t, name) in truth
            if truth[(t, name)] - found[(t, name)]
        ),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _scores(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }


# -- main ----------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(int(memory) / 2**20, 1),
        "python": platform.python_version(),
        "polars": pl.__version__,
        "platform": platform.platform(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=1.0, help="size of the CSV file")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "dataport-bench")
    # By default the scanner's own choice, as `dataport scan` makes it (one process per two
    # cores: a single one on the 2-vCPU benchmark machine).
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--presidio-rows", type=int, default=2_000)
    parser.add_argument("--accuracy-tables", type=int, default=5)
    parser.add_argument("--accuracy-rows", type=int, default=400)
    parser.add_argument("--skip-presidio", action="store_true")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--formats", default="csv,parquet", help="csv, parquet or both")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "benchmark": "classify",
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
    }
    if not args.skip_throughput or not args.skip_presidio:
        print(f"generating {args.gigabytes:g} GB …", flush=True)
        started = time.perf_counter()
        csv, parquet, rows = write_files(args.data, args.gigabytes)
        report["data"] = {
            "csv": str(csv),
            "csv_bytes": csv.stat().st_size,
            "parquet_bytes": parquet.stat().st_size,
            "rows": rows,
            "columns": pl.read_parquet_schema(parquet).names(),
            "generated_seconds": round(time.perf_counter() - started, 1),
        }
    if not args.skip_throughput:
        print("throughput …", flush=True)
        report["throughput"] = throughput(
            csv, parquet, args.workers, args.data / "work", args.formats.split(",")
        )
    if not args.skip_presidio:
        print("presidio …", flush=True)
        report["presidio"] = presidio(csv, args.presidio_rows)
        if "throughput" in report:
            ours = report["throughput"]["csv"]["scan_mb_per_s"]
            report["presidio"]["dataport_to_presidio"] = round(
                ours / report["presidio"]["mb_per_s"], 1
            )
    if not args.skip_accuracy:
        print("accuracy …", flush=True)
        report["accuracy"] = accuracy(args.accuracy_tables, args.accuracy_rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"classify-{stamp}.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")
    summary = {
        k: report.get("throughput", {}).get(k, {}).get("ratio_to_polars_read")
        for k in ("csv", "parquet")
    }
    parquet = report.get("throughput", {}).get("parquet", {})
    same_rows = parquet.get("ratio_to_polars_read_csv_same_rows")
    print(
        json.dumps(
            {"ratio_to_polars_read": summary, "parquet_to_read_csv_same_rows": same_rows},
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
