"""What every console page needs: the session, who is signed in, the language, forms, rendering,
error pages and the security headers."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from importlib.resources import files
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles

from dataport.config import Language, Settings
from dataport.errors import DataportError, NotAuthenticated, NotFound, PermissionDenied
from dataport.identity import signin
from dataport.identity.authz import Permission
from dataport.identity.signin import SignedIn
from dataport.ledger.service import unit_of_work
from dataport.web.i18n import DEFAULT_LANGUAGE, LANGUAGES, translate, translator

logger = logging.getLogger("dataport.web")

PREFIX = "/console"
SESSION_COOKIE = "dataport_session"
LANG_COOKIE = "dataport_lang"
SIGNIN_CSRF_COOKIE = "dataport_signin_csrf"

#: No inline script or style, nothing from another origin, never framed.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


# -- database session -----------------------------------------------------------------------


def _session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent."""
    with unit_of_work(request.app.state.sessionmaker, request.app.state.settings) as session:
        yield session


SessionDep = Annotated[Session, Depends(_session, scope="function")]


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# -- language -------------------------------------------------------------------------------


def language(request: Request) -> Language:
    chosen = request.cookies.get(LANG_COOKIE)
    for lang in LANGUAGES:
        if chosen == lang:
            return lang
    return DEFAULT_LANGUAGE


LangDep = Annotated[Language, Depends(language)]


def pick(lang: Language, text: Any) -> str:
    """The language's half of a bilingual value (a rule pack's ``Text``, a dict, an error)."""
    if isinstance(text, DataportError):
        return text.message(lang)
    if isinstance(text, Mapping):
        return str(text.get("zh" if lang == "zh-CN" else "en", ""))
    zh, en = getattr(text, "zh", None), getattr(text, "en", None)
    if zh is not None and en is not None:
        return str(zh if lang == "zh-CN" else en)
    return str(text)


# -- who is signed in -----------------------------------------------------------------------


def _signed_in(request: Request, session: SessionDep) -> SignedIn:
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        raise NotAuthenticated("please sign in", "请登录")
    settings = settings_of(request)
    found = signin.resume(session, secret, idle=timedelta(minutes=settings.session_idle_minutes))
    request.state.signed_in = found
    return found


SignedInDep = Annotated[SignedIn, Depends(_signed_in)]


def require_permission(signed_in: SignedIn, permission: Permission) -> None:
    if not signed_in.principal.has(permission):
        raise PermissionDenied(
            "this page is for a regulator's members with an oversight role",
            "此页面仅供监管机构中具有监督职责的成员访问",
            permission=str(permission),
        )


def _supervisor(signed_in: SignedInDep) -> SignedIn:
    require_permission(signed_in, Permission.supervision_read)
    return signed_in


SupervisorDep = Annotated[SignedIn, Depends(_supervisor)]


# -- forms ----------------------------------------------------------------------------------


@dataclass
class Form:
    """A submitted form: its values, and the message beside each field that was refused."""

    values: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def checked(self, name: str) -> bool:
        return name in self.values

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)


async def _form(request: Request) -> Form:
    data = await request.form()
    form = Form()
    for key, value in data.multi_items():
        if isinstance(value, str):
            form.values.setdefault(key, value)
            form.lists.setdefault(key, []).append(value)
    return form


def same_origin(request: Request) -> None:
    """A form posted from another site is refused even before its token is looked at."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        own = f"{request.url.scheme}://{request.url.netloc}"
        if origin != own:
            raise PermissionDenied(
                "this form was sent from another site", "该表单来自其他站点", field="csrf"
            )


async def _checked_form(request: Request, signed_in: SignedInDep) -> Form:
    same_origin(request)
    form = await _form(request)
    signin.require_csrf(signed_in, form.values.get("csrf"))
    return form


#: A form of a signed-in person, its CSRF token checked.
FormDep = Annotated[Form, Depends(_checked_form)]


async def signin_form(request: Request) -> Form:
    """The sign-in form, protected by a double-submit token (there is no session yet)."""
    same_origin(request)
    form = await _form(request)
    cookie = request.cookies.get(SIGNIN_CSRF_COOKIE)
    token = form.values.get("csrf")
    if not cookie or not token or not secrets.compare_digest(cookie, token):
        raise PermissionDenied(
            "this form has expired: reload the page and try again",
            "表单已失效：请刷新页面后重试",
            field="csrf",
        )
    return form


# -- rendering ------------------------------------------------------------------------------

_env = Environment(
    loader=PackageLoader("dataport.web", "templates"),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _number(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


_env.filters["num"] = _number


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str
    key: str


def navigation(signed_in: SignedIn | None, lang: Language) -> list[NavItem]:
    if signed_in is None:
        return []
    t = translator(lang)
    principal = signed_in.principal
    if principal.has(Permission.supervision_read):
        items = [
            ("supervision", "/supervision", "nav_dashboard"),
            ("review", "/review", "nav_review"),
            ("alerts", "/alerts", "nav_alerts"),
            ("transfers", "/transfers", "nav_transfers"),
            ("trace", "/trace", "nav_trace"),
            ("spot-checks", "/spot-checks", "nav_spot_checks"),
            ("datasets", "/datasets", "nav_datasets"),
            ("rules", "/rules", "nav_rules"),
            ("assess", "/assess", "nav_assess"),
        ]
    else:
        items = [
            ("overview", "/overview", "nav_overview"),
            ("datasets", "/datasets", "nav_datasets"),
            ("assess", "/assess", "nav_assess"),
            ("applications", "/applications", "nav_applications"),
            ("transfers", "/transfers", "nav_transfers"),
            ("trace", "/trace", "nav_trace"),
            ("evidence-requests", "/evidence-requests", "nav_evidence_requests"),
        ]
    return [NavItem(PREFIX + href, t(label), key) for key, href, label in items]


def render(
    request: Request,
    template: str,
    *,
    lang: Language,
    signed_in: SignedIn | None,
    section: str = "",
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    t = translator(lang)
    html = _env.get_template(template).render(
        t=t,
        pick=lambda text: pick(lang, text),
        lang=lang,
        me=signed_in,
        supervisor=bool(signed_in and signed_in.principal.has(Permission.supervision_read)),
        csrf=signed_in.csrf_token if signed_in else "",
        nav=navigation(signed_in, lang),
        section=section,
        prefix=PREFIX,
        path=request.url.path,
        query=request.url.query,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


def redirect(path: str) -> RedirectResponse:
    """After a successful form: see the result (POST-redirect-GET)."""
    return RedirectResponse(PREFIX + path, status_code=303)


def field_of(error: DataportError, known: Mapping[str, str] | None = None) -> str:
    """The form field an error names (the last part of a dotted path), or ``_form``."""
    name = (error.field or "").rsplit(".", 1)[-1]
    if known is not None:
        return known.get(name, name if name in known.values() else "_form")
    return name or "_form"


# -- error pages and headers ---------------------------------------------------------------


def _error_page(request: Request, status: int, error: DataportError | None) -> HTMLResponse:
    lang = language(request)
    signed = getattr(request.state, "signed_in", None)
    key = {403: "forbidden", 404: "not_found", 429: "too_many"}.get(status, "error")
    titles = [
        translate(f"error_{key}", other) for other in (lang, *[x for x in LANGUAGES if x != lang])
    ]
    details = []
    if error is not None and status != 404:
        details = [error.message(lang), error.message("en" if lang == "zh-CN" else "zh-CN")]
    return render(
        request,
        "error.html",
        lang=lang,
        signed_in=signed,
        status_code=status,
        status=status,
        titles=titles,
        details=details,
    )


def _is_console(request: Request) -> bool:
    path = request.url.path
    return path == PREFIX or path.startswith(PREFIX + "/")


def install(app: FastAPI, router: Any) -> None:
    """Serve the console from ``app``: its routes, static files, error pages and headers."""
    app.include_router(router)
    static = files("dataport.web") / "static"
    app.mount(PREFIX + "/static", StaticFiles(directory=str(static)), name="console-static")

    api_handlers = dict(app.exception_handlers)

    def delegate(kind: type[Exception]) -> Callable[[Request, Exception], Awaitable[Response]]:
        async def handle(request: Request, exc: Exception) -> Response:
            if _is_console(request):
                return _console_error(request, exc)
            fallback = api_handlers[kind]
            return await fallback(request, exc)  # type: ignore[no-any-return]

        return handle

    for kind in (DataportError, RequestValidationError, HTTPException, Exception):
        app.add_exception_handler(kind, delegate(kind))

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        if _is_console(request):
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            if not request.url.path.startswith(PREFIX + "/static/"):
                response.headers.setdefault("Cache-Control", "no-store")
        return response


def _console_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, NotAuthenticated):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        response = RedirectResponse(
            f"{PREFIX}/sign-in?next={quote(target, safe='')}", status_code=303
        )
        response.delete_cookie(SESSION_COOKIE, path=PREFIX)
        return response
    if isinstance(exc, DataportError):
        return _error_page(request, exc.http_status if exc.http_status < 500 else 500, exc)
    if isinstance(exc, RequestValidationError):
        # A malformed id in the path is answered like a missing record.
        return _error_page(request, 404, NotFound("not found", "未找到"))
    if isinstance(exc, HTTPException):
        return _error_page(request, exc.status_code, None)
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _error_page(request, 500, None)
