"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from dataport import __version__, db
from dataport.errors import Unavailable

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.get("/readyz", summary="Readiness: the database answers and its schema is current")
def readyz(request: Request) -> dict[str, Any]:
    engine = request.app.state.engine
    current = db.current_revision(engine)
    head = db.head_revision()
    if current != head:
        raise Unavailable(
            f"database schema is at {current or 'nothing'}, expected {head}: "
            "run 'dataport db upgrade'",
            f"数据库结构版本为 {current or '空'}，应为 {head}：请运行 'dataport db upgrade'",
        )
    return {"status": "ready", "database": engine.dialect.name, "schema": current}
