"""Request dependencies: the database session, the calling principal, settings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from dataport.config import Settings
from dataport.errors import NotAuthenticated
from dataport.identity.authz import Principal
from dataport.identity.service import authenticate
from dataport.ledger.service import unit_of_work


def _session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent."""
    with unit_of_work(request.app.state.sessionmaker, request.app.state.settings) as session:
        yield session


# scope="function": the commit happens before the response, so a failed commit is an error
# response rather than a success the client saw for data that was never stored.
SessionDep = Annotated[Session, Depends(_session, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="An API token: `dataport token create`")


def _principal(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated(
            "missing credentials: send 'Authorization: Bearer <token>'",
            "缺少凭证：请发送 'Authorization: Bearer <令牌>'",
        )
    principal = authenticate(session, credentials.credentials)
    # End the transaction opened by the lookup, so a long read that follows holds no lock.
    session.commit()
    return principal


PrincipalDep = Annotated[Principal, Depends(_principal)]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(_settings)]
