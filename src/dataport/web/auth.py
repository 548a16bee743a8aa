"""Signing in and out, the language toggle, and the landing page."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse

from dataport.errors import NotAuthenticated
from dataport.identity import signin
from dataport.identity.authz import Permission
from dataport.web.core import (
    LANG_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    SIGNIN_CSRF_COOKIE,
    Form,
    FormDep,
    LangDep,
    SessionDep,
    SignedInDep,
    render,
    settings_of,
    signin_form,
)
from dataport.web.i18n import LANGUAGES, translator

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _local(target: str | None) -> str:
    """Only a path of the console itself is followed after sign-in (no open redirect)."""
    if target and target.startswith(PREFIX + "/") and not target.startswith("//"):
        return target
    return PREFIX + "/"


def _signin_page(
    request: Request, lang: LangDep, form: Form, next_path: str, status: int = 200
) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "signin.html",
        lang=lang,
        signed_in=None,
        status_code=status,
        form=form,
        signin_csrf=token,
        next_path=next_path,
    )
    secure = settings_of(request).cookie_secure
    response.set_cookie(
        SIGNIN_CSRF_COOKIE, token, httponly=True, samesite="lax", secure=secure, path=PREFIX
    )
    return response


@router.get("/sign-in")
def sign_in_page(request: Request, lang: LangDep, next: str | None = None) -> Response:
    return _signin_page(request, lang, Form(), _local(next))


@router.post("/sign-in")
def sign_in(
    request: Request,
    lang: LangDep,
    session: SessionDep,
    form: Annotated[Form, Depends(signin_form)],
) -> Response:
    settings = settings_of(request)
    email, password = form.get("email").strip(), form.get("password")
    target = _local(form.get("next"))
    t = translator(lang)
    if not email:
        form.error("email", t("error_required"))
    if not password:
        form.error("password", t("error_required"))
    if form.errors:
        return _signin_page(request, lang, form, target, 422)
    client = request.client.host if request.client else "unknown"
    try:
        signed, secret = signin.sign_in(
            session,
            email=email,
            password=password,
            client=client,
            lifetime=timedelta(hours=settings.session_hours),
        )
    except NotAuthenticated:
        # The failure was recorded in this transaction; it commits with the page.
        form.error("password", t("error_signin"))
        return _signin_page(request, lang, form, target, 401)
    except signin.TooManyAttempts:
        form.error("email", t("error_locked"))
        return _signin_page(request, lang, form, target, 429)
    if target == PREFIX + "/" and signed.principal.has(Permission.supervision_read):
        target = PREFIX + "/supervision"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path=PREFIX,
    )
    response.delete_cookie(SIGNIN_CSRF_COOKIE, path=PREFIX)
    return response


@router.post("/sign-out")
def sign_out(session: SessionDep, signed_in: SignedInDep, form: FormDep) -> Response:
    signin.sign_out(session, signed_in)
    response = RedirectResponse(PREFIX + "/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


@router.get("/lang")
def choose_language(
    request: Request,
    to: Annotated[str, Query()],
    next: str | None = None,
) -> Response:
    response = RedirectResponse(_local(next), status_code=303)
    if to in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE,
            to,
            max_age=365 * 24 * 3600,
            samesite="lax",
            secure=settings_of(request).cookie_secure,
            path=PREFIX,
        )
    return response


@router.get("")
@router.get("/")
def home(signed_in: SignedInDep) -> Response:
    if signed_in.principal.has(Permission.supervision_read):
        return RedirectResponse(PREFIX + "/supervision", status_code=303)
    return RedirectResponse(PREFIX + "/overview", status_code=303)
