"""The FastAPI application: routers, error handling, and the database it serves from."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dataport import __version__, db
from dataport.api import assessment, audit, catalog, health, identity, log, problems
from dataport.api.classify import router as classify_router
from dataport.api.reports import router as reports_router
from dataport.api.transfer import router as transfer_router
from dataport.config import Settings, get_settings
from dataport.web.routes import install_console

DESCRIPTION = """
dataport: register datasets, find the personal and important data in them, decide the lawful
cross-border pathway, and record every step as verifiable evidence.

dataport 国际数据港：登记数据集、识别个人信息与重要数据、判定合规出境路径，
并将每一步记录为可验证的证据。

Authenticate with `Authorization: Bearer <token>` (`dataport token create`). Errors are
RFC 9457 `application/problem+json`; send `Accept-Language: zh-CN` for messages in Chinese.
"""


def create_app(
    settings: Settings | None = None,
    engine: Engine | None = None,
    sessionmaker: Callable[[], Session] | None = None,
) -> FastAPI:
    """Build the app. Without an engine, one is made from ``settings`` when the app starts.

    ``sessionmaker`` replaces the session factory (tests bind sessions to one transaction).
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = engine is None
        app.state.engine = engine or db.make_engine(settings.resolved_database_url)
        app.state.sessionmaker = sessionmaker or db.make_sessionmaker(app.state.engine)
        try:
            yield
        finally:
            if owned:
                app.state.engine.dispose()

    app = FastAPI(
        title="dataport",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    problems.install(app)
    app.include_router(health.router)
    app.include_router(identity.router)
    app.include_router(catalog.router)
    app.include_router(classify_router)
    app.include_router(audit.router)
    app.include_router(assessment.router)
    app.include_router(reports_router)
    app.include_router(transfer_router)
    app.include_router(log.router)
    app.include_router(log.public)
    # The console: its own pages, error pages and headers, on the same services.
    install_console(app)
    return app
