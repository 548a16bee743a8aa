"""Where units of a scan run: in this process, in local worker processes, or on Ray.

``local`` (the default) runs a single unit in this process and several in a process pool of
at most ``workers`` processes; ``ray`` sends each unit to a Ray cluster as one task
(``ray.init(address=...)`` with ``DATAPORT_RAY_ADDRESS``, a local Ray instance otherwise).
Every executor runs the same function on the same units, so results are identical.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path
from typing import Any

from dataport.catalog import sources
from dataport.catalog.models import SourceKind
from dataport.catalog.sources import SourceSpec
from dataport.classify.column import ColumnPlan
from dataport.classify.grading import RulePack
from dataport.classify.registry import all_detectors
from dataport.classify.scan import (
    CatalogueItem,
    PartialScan,
    ScanOptions,
    ScanProgress,
    Unit,
    cores,
    finish,
    learn_plans,
    plan_units,
    scan_unit,
    source_info,
)
from dataport.classify.schemas import ScanResult
from dataport.errors import InvalidInput, Unavailable

#: Files smaller than this are one unit of work (Parquet files with several row groups too).
PARALLEL_BYTES = 64 << 20


class Executor(StrEnum):
    local = "local"
    ray = "ray"


def default_workers() -> int:
    """One process per two cores: a process examines its columns on threads and keeps about
    two cores busy alone (measured on two: 1.9 of them; its Python part holds the interpreter
    lock about 60 % of the time, so more cores need more processes). On two cores a second
    process made the 1.37 GB benchmark file slower (23 to 28 s against 18 to 21) and the
    scan's memory 3.2 to 3.5 GB against 1.3."""
    return max(1, cores() // 2)


def scan_source(
    spec: SourceSpec,
    *,
    options: ScanOptions,
    pack: RulePack,
    workdir: Path,
    executor: Executor = Executor.local,
    workers: int | None = None,
    ray_address: str | None = None,
    catalogue: Sequence[CatalogueItem] = (),
    dataset_name: str | None = None,
    progress: ScanProgress | None = None,
    parallel_bytes: int = PARALLEL_BYTES,
) -> ScanResult:
    """Scan a source and grade it: the whole pipeline, whichever executor runs the units.

    Files smaller than ``parallel_bytes`` are one unit: starting workers would cost more.
    """
    started = time.monotonic()
    workers = workers or default_workers()
    # A URL is staged once here for local work; Ray workers stage it themselves.
    stage_here = executor is Executor.local or spec.kind is not SourceKind.url
    with sources.local_copy(spec, workdir) if stage_here else nullcontext() as path:
        parts = workers if path is None or path.stat().st_size >= parallel_bytes else 1
        plan = plan_units(spec, path, options, workdir=workdir, parts=parts)
        if progress is not None:
            progress(0, plan.rows_total)
        if executor is Executor.ray:
            # Several units follow one plan, learnt once from the source's first rows.
            plans = learn_plans(plan.units[0], options) if len(plan.units) > 1 else None
            partials = _run_ray(plan.units, options, plans, ray_address, progress, plan.rows_total)
        else:
            partials = _run_local(plan.units, options, workers, progress, plan.rows_total)
    merged = PartialScan()
    for partial in partials:
        merged = merged.merge(partial)
    return finish(
        merged,
        source=source_info(spec, plan.units),
        plan=plan,
        options=options,
        pack=pack,
        catalogue=catalogue,
        dataset_name=dataset_name,
        started=started,
    )


def _run_local(
    units: Sequence[Unit],
    options: ScanOptions,
    workers: int,
    progress: ScanProgress | None,
    total: int | None,
) -> list[PartialScan]:
    done = 0
    if len(units) == 1 or workers == 1:
        # One unit learns its plan from its own first rows; several follow the first unit's.
        plans = learn_plans(units[0], options) if len(units) > 1 else None
        results = []
        for unit in units:

            def on_batch(rows: int) -> None:
                nonlocal done
                done += rows
                if progress is not None:
                    progress(done, total)

            results.append(scan_unit(unit, options, on_batch, plans))
        return results
    # Spawned workers: forking a process that runs Polars' thread pool can deadlock.
    context = multiprocessing.get_context("spawn")
    ordered: dict[int, PartialScan] = {}
    processes = min(workers, len(units))
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        # The workers start (a new interpreter importing the scanner, about two seconds) while
        # this process learns the plan from the source's first rows: each task submitted
        # before a worker is free starts one.
        for _ in range(processes):
            pool.submit(_ready)
        plans = learn_plans(units[0], options)
        futures = {
            pool.submit(scan_unit, unit, options, None, plans): i for i, unit in enumerate(units)
        }
        for future in as_completed(futures):
            index = futures[future]
            ordered[index] = future.result()
            done += ordered[index].rows
            if progress is not None:
                progress(done, total)
    return [ordered[i] for i in range(len(units))]


def _ready() -> None:
    """Nothing: a worker that ran it has imported the scanner and built its detectors."""
    all_detectors()


def _run_ray(
    units: Sequence[Unit],
    options: ScanOptions,
    plans: dict[str, ColumnPlan] | None,
    address: str | None,
    progress: ScanProgress | None,
    total: int | None,
) -> list[PartialScan]:
    try:
        import ray
    except ImportError as exc:
        raise Unavailable(
            "the Ray executor needs the 'ray' package: pip install 'dataport[ray]'",
            "Ray 执行器需要安装 ray：pip install 'dataport[ray]'",
            field="executor",
        ) from exc
    started_here = not ray.is_initialized()
    if started_here:
        init: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if address:
            init["address"] = address
        else:
            init |= {"num_cpus": cores(), "configure_logging": False}
        try:
            ray.init(**init)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise Unavailable(
                f"cannot start or reach Ray at {address or 'a local instance'}: {exc}",
                f"无法启动或连接 Ray（{address or '本地实例'}）：{exc}",
                field="executor",
            ) from exc
    try:
        task = ray.remote(scan_unit)
        pending = {
            task.remote(unit, options, None, plans): i  # type: ignore[call-arg]
            for i, unit in enumerate(units)
        }
        ordered: dict[int, PartialScan] = {}
        done = 0
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                index = pending.pop(ref)
                try:
                    ordered[index] = ray.get(ref)
                except ray.exceptions.RayTaskError as exc:
                    cause = exc.as_instanceof_cause()  # type: ignore[no-untyped-call]
                    if isinstance(cause, InvalidInput):
                        raise cause from None
                    raise
                done += ordered[index].rows
                if progress is not None:
                    progress(done, total)
        return [ordered[i] for i in range(len(units))]
    finally:
        if started_here:
            ray.shutdown()
