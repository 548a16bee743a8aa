"""Benchmarks of the evidence log: appends/s, proof latency, storage per entry, where time goes.

    .venv/bin/python bench/ledger.py                          # SQLite and PostgreSQL
    .venv/bin/python bench/ledger.py --batch 256 4096 --repeat 5
    .venv/bin/python bench/ledger.py --proof-size 10000000 --no-postgres

Writes bench/results/ledger-<timestamp>.json. Every dataport measurement runs right after
its baseline, at the same batch size, so that the ratio of the two holds even on a busy
machine. The baselines are the bare append path alone (leaf hash, compact-range update,
entries and hashes into one table, one commit per batch): on SQLite (WAL,
synchronous=FULL) with executemany, on PostgreSQL with binary COPY.
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
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from dataport import db
from dataport.config import Settings
from dataport.ledger import CompactRange, generate_key, inclusion_proof, parse_signer_key, service
from dataport.ledger import store as ledger_store
from dataport.ledger.checkpoint import Checkpoint, sign_checkpoint
from dataport.ledger.store import TILE_CACHE, DatabaseHashReader, _TreeGrower

RESULTS = Path(__file__).resolve().parent / "results"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def entries(count: int, start: int = 0) -> list[bytes]:
    """Entries the size of a real evidence record (about 360 bytes of canonical JSON)."""
    return [
        b'{"at":"2026-11-22T08:00:00.000000Z","audit_seq":%d,"event":"dataset.version_recorded",'
        b'"facts":{"content_hash":"sha256:%s","rows":%d,"version":2},'
        b'"org":"6f1c1f8e-3a52-4d8e-9a7b-1c2d3e4f5a6b","subject":{"id":"%s","type":"dataset"},'
        b'"type":"dataport.evidence/v1"}'
        % (n, hashlib.sha256(b"%d" % n).hexdigest().encode(), n * 7, str(uuid.UUID(int=n)).encode())
        for n in range(start, start + count)
    ]


# -- baselines: the bare append path ------------------------------------------------------


def _hashed_batches(data: list[bytes], batch: int) -> Iterator[list[tuple[int, bytes, bytes]]]:
    tree = CompactRange()
    for offset in range(0, len(data), batch):
        rows = []
        for n, entry in enumerate(data[offset : offset + batch], offset):
            digest = hashlib.sha256(b"\x00" + entry).digest()
            tree.append(digest)
            rows.append((n, entry, digest))
        yield rows


def baseline_sqlite(folder: Path, data: list[bytes], batch: int) -> float:
    path = folder / f"baseline-{uuid.uuid4().hex[:8]}.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE entry (idx INTEGER PRIMARY KEY, data BLOB, hash BLOB)")
    started = time.perf_counter()
    for rows in _hashed_batches(data, batch):
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO entry VALUES (?, ?, ?)", rows)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    path.unlink()
    return len(data) / elapsed


def baseline_postgres(url: str, data: list[bytes], batch: int) -> float:
    engine = sa.create_engine(url)
    raw = engine.raw_connection()
    try:
        conn: Any = raw.driver_connection
        table = f"baseline_{uuid.uuid4().hex[:8]}"
        conn.execute(f"CREATE TABLE {table} (idx bigint PRIMARY KEY, data bytea, hash bytea)")
        conn.commit()
        started = time.perf_counter()
        for rows in _hashed_batches(data, batch):
            with (
                conn.cursor() as cursor,
                cursor.copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as copy,
            ):
                copy.set_types(["int8", "bytea", "bytea"])
                for row in rows:
                    copy.write_row(row)
            conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute(f"DROP TABLE {table}")
        conn.commit()
    finally:
        raw.close()
        engine.dispose()
    return len(data) / elapsed


# -- dataport -----------------------------------------------------------------------------


@contextmanager
def database(kind: str, folder: Path, pg_url: str) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a PostgreSQL schema dropped afterwards."""
    if kind == "sqlite":
        path = folder / f"dataport-{uuid.uuid4().hex[:8]}.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                path.with_name(path.name + suffix).unlink(missing_ok=True)
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{pg_url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _new_log(url: str, home: Path) -> tuple[sa.Engine, Settings, sessionmaker[Session]]:
    engine = db.make_engine(url)
    db.upgrade(engine)
    settings = Settings(home=home)
    sessions = db.make_sessionmaker(engine)
    with db.session_scope(sessions) as session:
        service.init_log(session, settings, origin="bench.example/log")
    return engine, settings, sessions


def dataport_appends(url: str, home: Path, data: list[bytes], batch: int) -> dict[str, Any]:
    """Appends in batches, each its own transaction as ``dataport log append`` runs them."""
    engine, settings, sessions = _new_log(url, home)
    started = time.perf_counter()
    for offset in range(0, len(data), batch):
        with db.session_scope(sessions) as session:
            service.append(session, settings, data[offset : offset + batch])
    elapsed = time.perf_counter() - started
    result = {"appends_per_s": round(len(data) / elapsed), "storage": storage(engine, len(data))}
    engine.dispose()
    return result


def storage(engine: sa.Engine, count: int) -> dict[str, Any]:
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


def appends(
    kinds: list[str], batches: list[int], repeat: int, data: dict[str, list[bytes]], args: Any
) -> dict[str, Any]:
    """Baseline then dataport, at each batch size, ``repeat`` times, interleaved."""
    runs: dict[str, dict[int, dict[str, list[float]]]] = {
        kind: {batch: {"baseline": [], "dataport": [], "ratio": []} for batch in batches}
        for kind in kinds
    }
    stored: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="dataport-bench-") as temporary:
        folder = Path(temporary)
        for round_ in range(repeat):
            for batch in batches:
                for kind in kinds:
                    with database(kind, folder, args.pg_url) as url:
                        if kind == "sqlite":
                            bare = baseline_sqlite(folder, data[kind], batch)
                        else:
                            bare = baseline_postgres(url, data[kind], batch)
                        home = folder / f"home-{uuid.uuid4().hex[:8]}"
                        done = dataport_appends(url, home, data[kind], batch)
                    run = runs[kind][batch]
                    run["baseline"].append(round(bare))
                    run["dataport"].append(done["appends_per_s"])
                    run["ratio"].append(round(done["appends_per_s"] / bare, 3))
                    stored[kind] = done["storage"]
                    print(
                        f"[{round_ + 1}/{repeat}] {kind} batch {batch}: baseline {bare:,.0f}/s, "
                        f"dataport {done['appends_per_s']:,}/s",
                        file=sys.stderr,
                    )
    result: dict[str, Any] = {"storage_at_last_batch_size": stored}
    for kind, by_batch in runs.items():
        result[kind] = {
            str(batch): {
                "entries": len(data[kind]),
                "runs": run,
                "median_baseline_per_s": round(statistics.median(run["baseline"])),
                "median_dataport_per_s": round(statistics.median(run["dataport"])),
                "median_ratio": round(statistics.median(run["ratio"]), 3),
            }
            for batch, run in by_batch.items()
        }
    return result


# -- where the time goes ------------------------------------------------------------------


def stage_costs(data: list[bytes]) -> dict[str, float]:
    """Microseconds per entry of the pure stages of the append path, measured alone."""
    per = len(data)
    started = time.perf_counter()
    for entry in data:
        hashlib.sha256(b"\x00" + entry).digest()
    leaf = time.perf_counter() - started
    grower = _TreeGrower(0, b"")
    started = time.perf_counter()
    grower.add(data)
    grower.tiles()
    tree = time.perf_counter() - started
    signer = parse_signer_key(generate_key("bench.example/log").signer_key)
    started = time.perf_counter()
    for _ in range(200):
        sign_checkpoint(Checkpoint("bench.example/log", per, b"\x00" * 32), [signer])
    sign = (time.perf_counter() - started) / 200
    return {
        "leaf_hash_us_per_entry": round(leaf / per * 1e6, 3),
        "tree_and_tiles_us_per_entry_incl_leaf_hash": round(tree / per * 1e6, 3),
        "checkpoint_signature_us_per_batch": round(sign * 1e6, 1),
    }


_TIMED = (
    "lock",
    "queued",
    "insert_entries",
    "extend_tiles",
    "add_checkpoint",
    "set_head",
)


def batch_breakdown(url: str, home: Path, data: list[bytes], batch: int) -> dict[str, float]:
    """Milliseconds per batch of each statement and stage of a real append, by timing them."""
    spent: defaultdict[str, float] = defaultdict(float)

    def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - started

        return run

    patched: list[tuple[Any, str, Any]] = []

    def patch(owner: Any, name: str, label: str) -> None:
        patched.append((owner, name, owner.__dict__[name]))
        setattr(owner, name, timed(label, owner.__dict__[name]))

    for owner in (ledger_store._Driver, ledger_store._SQLite, ledger_store._PostgreSQL):
        for name in _TIMED:
            if name in owner.__dict__:
                patch(owner, name, name)
    patch(ledger_store._TreeGrower, "add", "tree hashing")
    patch(ledger_store._TreeGrower, "tiles", "tree hashing")
    patch(ledger_store, "sign_checkpoint", "checkpoint signature")
    patch(service, "_signer_on_first_use", "signer key file")
    engine, settings, sessions = _new_log(url, home)
    try:
        started = time.perf_counter()
        for offset in range(0, len(data), batch):
            session = sessions()
            begun = time.perf_counter()
            session.connection()
            spent["session and connection"] += time.perf_counter() - begun
            service.append(session, settings, data[offset : offset + batch])
            begun = time.perf_counter()
            session.commit()
            spent["commit (durable)"] += time.perf_counter() - begun
            begun = time.perf_counter()
            session.close()
            spent["session and connection"] += time.perf_counter() - begun
        elapsed = time.perf_counter() - started
    finally:
        for owner, name, original in reversed(patched):
            setattr(owner, name, original)
        engine.dispose()
    count = len(data) / batch
    breakdown = {
        name: round(seconds / count * 1e3, 3)
        for name, seconds in sorted(spent.items(), key=lambda item: -item[1])
    }
    breakdown["other (service, Python)"] = round((elapsed - sum(spent.values())) / count * 1e3, 3)
    breakdown["total"] = round(elapsed / count * 1e3, 3)
    return breakdown


# -- proofs -------------------------------------------------------------------------------


def _latencies(timings: list[float]) -> dict[str, float]:
    timings = sorted(timings)
    return {
        "proofs": len(timings),
        "p50_ms": round(statistics.median(timings) * 1e3, 3),
        "p99_ms": round(timings[int(len(timings) * 0.99)] * 1e3, 3),
        "max_ms": round(timings[-1] * 1e3, 3),
    }


def proof_latency(url: str, home: Path, size: int, proofs: int) -> dict[str, Any]:
    """Builds a log of ``size`` entries, then times inclusion proofs of random entries.

    ``uncached``: every tile read and hashed from the database (DatabaseHashReader with no
    cache). ``cold_cache``: ``service.inclusion`` (what the API runs) from an empty tile
    cache. ``warm_upper``: then as many more random entries, the upper-level tiles cached and
    level-0 tiles mostly not (at 10 M entries, 39,063 of them). ``all_cached``: 200 entries
    proved a second time.
    """
    engine, settings, sessions = _new_log(url, home)
    chunk = 65_536
    started = time.perf_counter()
    for offset in range(0, size, chunk):
        with db.session_scope(sessions) as session:
            service.append(session, settings, entries(min(chunk, size - offset), offset))
    build = time.perf_counter() - started
    rng = random.Random(7)
    result: dict[str, Any] = {
        "size": size,
        "build_s": round(build, 1),
        "build_appends_per_s": round(size / build),
    }

    def timed(prove: Callable[[int], object], leaves: list[int]) -> dict[str, float]:
        timings = []
        for index in leaves:
            begun = time.perf_counter()
            prove(index)
            timings.append(time.perf_counter() - begun)
        return _latencies(timings)

    with Session(engine) as session:
        result["uncached"] = timed(
            lambda i: inclusion_proof(i, size, DatabaseHashReader(session, size, None)),
            [rng.randrange(size) for _ in range(proofs)],
        )
        TILE_CACHE.clear()
        result["cold_cache"] = timed(
            lambda i: service.inclusion(session, i, size),
            [rng.randrange(size) for _ in range(proofs)],
        )
        result["warm_upper"] = timed(
            lambda i: service.inclusion(session, i, size),
            [rng.randrange(size) for _ in range(proofs)],
        )
        again = [rng.randrange(size) for _ in range(200)]
        for index in again:
            service.inclusion(session, index, size)
        result["all_cached"] = timed(lambda i: service.inclusion(session, i, size), again)
    result["storage"] = storage(engine, size)
    engine.dispose()
    return result


# -- the run ------------------------------------------------------------------------------


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
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--entries", type=int, default=200_000, help="per SQLite run")
    parser.add_argument("--pg-entries", type=int, default=100_000, help="per PostgreSQL run")
    parser.add_argument("--batch", type=int, nargs="+", default=[256, 1024, 4096])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement")
    parser.add_argument("--proof-size", type=int, default=1_000_000, help="SQLite log size")
    parser.add_argument("--pg-proof-size", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=2000, help="proofs per measurement")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-proofs", action="store_true")
    args = parser.parse_args()

    kinds = ["sqlite"] if args.no_postgres else ["sqlite", "postgresql"]
    results: dict[str, Any] = {
        "machine": machine(),
        "started": datetime.now(UTC).isoformat(),
        "load_average_at_start": os.getloadavg(),
        "arguments": vars(args),
    }
    data = entries(max(args.entries, args.pg_entries))
    per_kind = {"sqlite": data[: args.entries], "postgresql": data[: args.pg_entries]}
    results["appends"] = appends(kinds, args.batch, args.repeat, per_kind, args)
    with tempfile.TemporaryDirectory(prefix="dataport-bench-") as temporary:
        folder = Path(temporary)
        where: dict[str, Any] = {"stages": stage_costs(data[:100_000])}
        for kind in kinds:
            with database(kind, folder, args.pg_url) as url:
                where[f"{kind}_ms_per_batch_of_256"] = batch_breakdown(
                    url, folder / f"home-where-{kind}", per_kind[kind][:51_200], 256
                )
        results["where_time_goes"] = where
        print("where the time goes", json.dumps(where, indent=1), file=sys.stderr)
        if not args.no_proofs:
            results["inclusion_proof"] = {}
            sizes = {"sqlite": args.proof_size, "postgresql": args.pg_proof_size}
            for kind in kinds:
                with database(kind, folder, args.pg_url) as url:
                    done = proof_latency(
                        url, folder / f"home-proof-{kind}", sizes[kind], args.proofs
                    )
                results["inclusion_proof"][kind] = done
                print("proofs", kind, json.dumps(done), file=sys.stderr)
    results["load_average_at_end"] = os.getloadavg()
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"ledger-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    print(f"written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
