"""Benchmarks of the evidence log: appends/s, proof latency, storage per entry, where time goes.

    .venv/bin/python bench/ledger.py                 # SQLite and PostgreSQL, default sizes
    .venv/bin/python bench/ledger.py --proof-size 10000000 --no-postgres

Writes bench/results/ledger-<timestamp>.json. The baseline, measured in the same run, is the
bare append path alone: leaf hash, compact-range update, entries and hashes into SQLite (WAL,
synchronous=FULL), commits of 256.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dataport import db
from dataport.config import Settings
from dataport.ledger import CompactRange, generate_key, inclusion_proof, parse_signer_key, service
from dataport.ledger.checkpoint import Checkpoint, sign_checkpoint
from dataport.ledger.store import DatabaseHashReader, _TreeGrower

BATCH = 256
RESULTS = Path(__file__).resolve().parent / "results"


def entries(count: int, start: int = 0) -> list[bytes]:
    """Entries the size of a real evidence record (about 300 bytes of canonical JSON)."""
    return [
        b'{"at":"2026-11-22T08:00:00.000000Z","audit_seq":%d,"event":"dataset.version_recorded",'
        b'"facts":{"content_hash":"sha256:%s","rows":%d,"version":2},'
        b'"org":"6f1c1f8e-3a52-4d8e-9a7b-1c2d3e4f5a6b","subject":{"id":"%s","type":"dataset"},'
        b'"type":"dataport.evidence/v1"}'
        % (n, hashlib.sha256(b"%d" % n).hexdigest().encode(), n * 7, str(uuid.UUID(int=n)).encode())
        for n in range(start, start + count)
    ]


def baseline(folder: Path, data: list[bytes]) -> float:
    """The bare append path: what the whole log should come close to."""
    conn = sqlite3.connect(folder / "baseline.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE entry (idx INTEGER PRIMARY KEY, data BLOB, hash BLOB)")
    tree = CompactRange()
    started = time.perf_counter()
    for offset in range(0, len(data), BATCH):
        rows = []
        for n, entry in enumerate(data[offset : offset + BATCH], offset):
            digest = hashlib.sha256(b"\x00" + entry).digest()
            tree.append(digest)
            rows.append((n, entry, digest))
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO entry VALUES (?, ?, ?)", rows)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return len(data) / elapsed


def make_database(url: str | None, folder: Path) -> tuple[str, Callable[[], None]]:
    if url is None:
        return f"sqlite:///{folder / 'dataport.db'}", lambda: None
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{url}?options=-csearch_path%3D{schema}", drop


def dataport_appends(url: str, folder: Path, data: list[bytes], batch: int) -> dict[str, Any]:
    engine = db.make_engine(url)
    db.upgrade(engine)
    settings = Settings(home=folder / "home")
    sessions = db.make_sessionmaker(engine)
    with db.session_scope(sessions) as session:
        service.init_log(session, settings, origin="bench.example/log")
    started = time.perf_counter()
    for offset in range(0, len(data), batch):
        with db.session_scope(sessions) as session:
            service.append(session, settings, data[offset : offset + batch])
    elapsed = time.perf_counter() - started
    result = {"entries": len(data), "batch": batch, "appends_per_s": round(len(data) / elapsed)}
    result["storage"] = storage(engine, len(data), url)
    engine.dispose()
    return result


def storage(engine: sa.Engine, count: int, url: str) -> dict[str, Any]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
            pages = conn.execute(sa.text("PRAGMA page_count")).scalar_one()
            page = conn.execute(sa.text("PRAGMA page_size")).scalar_one()
            total = pages * page
            tables = {"database file": total}
        else:
            tables = {
                table: conn.execute(
                    sa.text("SELECT pg_total_relation_size(:t)"), {"t": table}
                ).scalar_one()
                for table in ("ledger_entry", "ledger_tile", "ledger_checkpoint", "ledger_log")
            }
            total = sum(tables.values())
        tile_bytes = conn.execute(sa.text("SELECT sum(length(data)) FROM ledger_tile")).scalar_one()
        entry_bytes = conn.execute(
            sa.text("SELECT sum(length(data)) FROM ledger_entry")
        ).scalar_one()
    return {
        "bytes_per_entry": round(total / count, 1),
        "hash_bytes_per_entry": round(tile_bytes / count, 2),
        "entry_bytes_per_entry": round(entry_bytes / count, 1),
        "by_table": tables,
    }


def where_time_goes(data: list[bytes]) -> dict[str, float]:
    """Microseconds per entry of each stage of the append path, measured alone."""
    per = len(data)
    started = time.perf_counter()
    for entry in data:
        hashlib.sha256(b"\x00" + entry).digest()
    leaf = time.perf_counter() - started

    class NoTiles:
        def execute(self, *_: object) -> object:
            return []

    grower = _TreeGrower(NoTiles(), 0, b"")  # type: ignore[arg-type]
    started = time.perf_counter()
    grower.add(data)
    tree = time.perf_counter() - started
    signer = parse_signer_key(generate_key("bench.example/log").signer_key)
    started = time.perf_counter()
    for _ in range(200):
        sign_checkpoint(Checkpoint("bench.example/log", per, b"\x00" * 32), [signer])
    sign = (time.perf_counter() - started) / 200
    return {
        "leaf_hash_us": round(leaf / per * 1e6, 3),
        "tree_and_tiles_us_incl_leaf_hash": round(tree / per * 1e6, 3),
        "checkpoint_signature_us_per_batch": round(sign * 1e6, 1),
        "checkpoint_signature_us_per_entry_at_batch_256": round(sign / BATCH * 1e6, 3),
    }


def proof_latency(url: str, folder: Path, size: int) -> dict[str, Any]:
    """Builds a log of ``size`` entries, then times inclusion proofs of random entries."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    settings = Settings(home=folder / "home-proof")
    sessions = db.make_sessionmaker(engine)
    with db.session_scope(sessions) as session:
        service.init_log(session, settings, origin="bench.example/big")
    chunk = 65_536
    started = time.perf_counter()
    for offset in range(0, size, chunk):
        with db.session_scope(sessions) as session:
            service.append(session, settings, entries(min(chunk, size - offset), offset))
    build = time.perf_counter() - started
    rng = random.Random(7)
    timings = []
    with Session(engine) as session:
        for _ in range(2000):
            index = rng.randrange(size)
            started = time.perf_counter()
            inclusion_proof(index, size, DatabaseHashReader(session, size))
            timings.append(time.perf_counter() - started)
    timings.sort()
    result = {
        "size": size,
        "build_s": round(build, 1),
        "build_appends_per_s": round(size / build),
        "proofs": len(timings),
        "p50_ms": round(statistics.median(timings) * 1e3, 3),
        "p99_ms": round(timings[int(len(timings) * 0.99)] * 1e3, 3),
        "max_ms": round(timings[-1] * 1e3, 3),
        "storage": storage(engine, size, url),
    }
    engine.dispose()
    return result


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--pg-entries", type=int, default=100_000)
    parser.add_argument("--proof-size", type=int, default=1_000_000)
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    results: dict[str, Any] = {"machine": machine(), "started": datetime.now(UTC).isoformat()}
    data = entries(args.entries)
    with tempfile.TemporaryDirectory(prefix="dataport-bench-") as temporary:
        folder = Path(temporary)
        results["baseline_sqlite_appends_per_s"] = round(baseline(folder, data))
        print("baseline", results["baseline_sqlite_appends_per_s"], file=sys.stderr)
        url, drop = make_database(None, folder)
        results["sqlite"] = dataport_appends(url, folder, data, BATCH)
        results["sqlite_batch_4096"] = dataport_appends(
            f"sqlite:///{folder / 'big-batch.db'}", folder / "b", data, 4096
        )
        print("sqlite", results["sqlite"], file=sys.stderr)
        results["where_time_goes"] = where_time_goes(data[:100_000])
        if not args.no_postgres:
            url, drop = make_database(args.pg_url, folder)
            try:
                results["postgres"] = dataport_appends(
                    url, folder / "pg", data[: args.pg_entries], BATCH
                )
                print("postgres", results["postgres"], file=sys.stderr)
            finally:
                drop()
        results["inclusion_proof_sqlite"] = proof_latency(
            f"sqlite:///{folder / 'proof.db'}", folder, args.proof_size
        )
        print("proofs", results["inclusion_proof_sqlite"], file=sys.stderr)
    results["baseline_ratio_sqlite"] = round(
        results["sqlite"]["appends_per_s"] / results["baseline_sqlite_appends_per_s"], 3
    )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"ledger-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    print(f"written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
