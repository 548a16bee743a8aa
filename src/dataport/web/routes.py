"""The console's routes, served by the API's FastAPI app under ``/console``."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse

from dataport.web import applications, auth, exporter, supervision, transfers
from dataport.web.core import PREFIX, install

router = APIRouter(include_in_schema=False)
for part in (
    auth.router,
    exporter.router,
    applications.router,
    supervision.router,
    transfers.router,
):
    router.include_router(part)


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse(PREFIX + "/", status_code=307)


def install_console(app: FastAPI) -> None:
    install(app, router)
