"""The witness's HTTP face (C2SP tlog-witness v1.0.0): ``POST /add-checkpoint``."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

from dataport import __version__
from dataport.errors import DataportError
from dataport.ledger import witness


def create_witness_app(state: Path) -> FastAPI:
    app = FastAPI(title="dataport witness", version=__version__, docs_url=None, redoc_url=None)

    @app.post("/add-checkpoint", response_class=PlainTextResponse)
    async def add_checkpoint(request: Request) -> PlainTextResponse:
        body = await request.body()
        try:
            lines = witness.add_checkpoint(state, body)
        except witness.StaleOldSize as error:
            return PlainTextResponse(
                f"{error.latest}\n", status_code=409, media_type=error.content_type
            )
        except DataportError as error:
            return PlainTextResponse(error.en + "\n", status_code=error.http_status)
        return PlainTextResponse(lines.decode())

    return app
