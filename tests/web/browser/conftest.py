"""Browser tests: Debian's Chromium driven by Playwright, against a real server (uvicorn on a
free loopback port) and a real database built by the migrations. One browser per session; a
failing test leaves a screenshot in test-artifacts/."""

from __future__ import annotations

import re
import shutil
import sys
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy.engine import Engine

from dataport import db
from dataport.api.app import create_app
from dataport.assessment import service as applications
from dataport.assessment.calendar import today_in_china
from dataport.config import Settings
from dataport.identity.models import Organisation
from dataport.ledger import service as ledger
from tests.conftest import TEST_DATABASE_URL, is_postgres
from tests.factories import OPERATOR, organisation
from tests.servers import serving
from tests.web.world import (
    Console,
    build,
    busy_transfers,
    recipient,
    register,
    send_transfers,
)

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
    yield browser
    browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    report = yield
    setattr(item, f"report_{report.when}", report)  # type: ignore[attr-defined]
    return report


def _busy_exporters(session: object, settings: Settings, console: Console) -> None:
    """Applications across the year's months, countries, sectors and pathways."""
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    today = today_in_china()
    recipients = {c: recipient(session, c) for c in ("DE", "SG", "US", "JP")}
    plans = [
        ("华东医药数据有限公司", "healthcare", "SG", 2, 120_000, 0, "临床随访记录"),
        ("华东医药数据有限公司", "healthcare", "SG", 5, 40_000, 2_000, "罕见病登记"),
        ("沪港物流科技", "logistics", "DE", 4, 300_000, 0, "欧洲线收件人"),
        ("沪港物流科技", "logistics", "US", 7, 1_200_000, 0, "北美会员档案"),
        ("申城金融信息服务", "finance", "JP", 6, 60_000, 12_000, "跨境支付持卡人"),
        ("申城金融信息服务", "finance", "US", 9, 195_000, 0, "海外投资者名册"),
    ]
    orgs: dict[str, Organisation] = {}
    for index, (name, sector, country, month, n, s, title) in enumerate(plans):
        org = orgs.get(name) or organisation(session, name, registered_zone="lingang")
        orgs[name] = org
        dataset = register(session, settings, org, title)
        dataset.sector = sector
        # Decided applications earlier in the year; those waiting arrived in recent days.
        recent = index in (1, 4, 5)
        day = today - timedelta(days=index) if recent else date(today.year, month, 3)
        app = applications.submit(
            session,
            OPERATOR,
            applications.Submission(
                dataset=dataset,
                recipient=recipients[country],
                purpose="business",
                individuals=n,
                sensitive_individuals=s,
                retention="2 years",
                storage_location=f"{country} data centre",
            ),
            on=day,
        )
        if index in (0, 2):
            applications.confirm_complete(session, OPERATOR, app, on=day)
            if app.status.value == "complete":
                applications.accept(session, OPERATOR, app, on=day)
            applications.approve(session, OPERATOR, app, scope=applications.Scope((), n, s), on=day)
        if index == 3:
            applications.reject(session, OPERATOR, app, reasons=["境外接收方安全能力不足"], on=day)


class _World:
    """The console world, built once and put back as built before every test.

    Building it (migrations, organisations, a year of applications and transfers) takes about
    15 s; putting it back takes a file copy on SQLite and a database made from a template on
    PostgreSQL (``CREATE DATABASE ... TEMPLATE``). The home folder and the database keep their
    places, so the paths the database holds stay true. The world is dated from today in China:
    it is built again when that day has changed.
    """

    def __init__(self, folder: Path) -> None:
        self.home = folder / "home"
        self._pristine = folder / "pristine"
        self._built_on: date | None = None
        self.console: Console | None = None
        self._admin: Engine | None = None
        if is_postgres():
            name = f"dp_world_{uuid.uuid4().hex[:12]}"
            self._template, self._live = f"{name}_template", f"{name}_live"
            self._admin = sa.create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
            url = sa.make_url(TEST_DATABASE_URL).set(database=self._live)
            self.url = url.render_as_string(hide_password=False)
        else:
            self._file = folder / "dataport.db"
            self.url = f"sqlite:///{self._file}"

    def settings(self) -> Settings:
        return Settings(home=self.home, lang="zh-CN", database_url=self.url)

    def restore(self) -> Console:
        """Puts the world back as built (building it first if need be); returns its cast."""
        today = today_in_china()
        if self.console is None or self._built_on != today:
            self.console = self._build(today)
        shutil.rmtree(self.home)
        shutil.copytree(self._pristine / "home", self.home)
        if self._admin is None:
            self._remove_file()
            shutil.copyfile(self._pristine / "dataport.db", self._file)
        else:
            self._drop(self._live)
            self._execute(f'CREATE DATABASE "{self._live}" TEMPLATE "{self._template}"')
        return self.console

    def _build(self, today: date) -> Console:
        for folder in (self.home, self._pristine):
            shutil.rmtree(folder, ignore_errors=True)
        (self.home / "inbox").mkdir(parents=True)
        if self._admin is None:
            self._remove_file()
            engine = db.make_engine(self.url)
        else:
            self._drop(self._template)
            self._execute(f'CREATE DATABASE "{self._template}"')
            url = sa.make_url(TEST_DATABASE_URL).set(database=self._template)
            engine = db.make_engine(url.render_as_string(hide_password=False))
        try:
            db.upgrade(engine)
            settings = self.settings()
            sessions = db.make_sessionmaker(engine)
            with db.session_scope(sessions) as session:
                console = build(session, settings)
                _busy_exporters(session, settings, console)
                session.flush()
            send_transfers(sessions, settings, console, today)
            busy_transfers(sessions, settings, today)
            with db.session_scope(sessions) as session:
                ledger.checkpoint(session, settings)
        finally:
            # Every connection closed: SQLite folds its write-ahead log into the file, and
            # PostgreSQL copies a template only when nobody is connected to it.
            engine.dispose()
        self._pristine.mkdir()
        shutil.copytree(self.home, self._pristine / "home")
        if self._admin is None:
            shutil.copyfile(self._file, self._pristine / "dataport.db")
        self._built_on = today
        return console

    def _remove_file(self) -> None:
        # With the file goes any write-ahead log an earlier connection left: SQLite would
        # replay it onto the copy that takes its place.
        for suffix in ("", "-wal", "-shm"):
            self._file.with_name(self._file.name + suffix).unlink(missing_ok=True)

    def _execute(self, statement: str) -> None:
        assert self._admin is not None
        with self._admin.connect() as conn:
            conn.exec_driver_sql(statement)

    def _drop(self, name: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        if self._admin is not None:
            self._drop(self._live)
            self._drop(self._template)
            self._admin.dispose()


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_World]:
    world = _World(tmp_path_factory.mktemp("world"))
    yield world
    world.close()


@pytest.fixture
def live(world: _World) -> Iterator[tuple[str, Console]]:
    """A server on the console world, as built; yields its base URL and the world's cast."""
    console = world.restore()
    engine = db.make_engine(world.url)
    app = create_app(world.settings(), engine=engine)
    try:
        with serving(app) as base:
            yield base, console
    finally:
        engine.dispose()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    problems: list[str] = []
    # Pages answered 4xx on purpose (a refused form is a 422) are not script errors.
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.nodeid)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()
    # No script error and no Content-Security-Policy violation on any page the test opened.
    assert problems == [], problems


def screenshot(page: Page, name: str) -> None:
    """Keep a screenshot of a screen the README shows (copied to docs/screenshots/).

    The picture is a by-product of the journey, not what it tests: Chromium sometimes
    refuses a capture on a loaded machine, so it is tried a few times and then left out.
    """
    (ARTIFACTS / "screens").mkdir(parents=True, exist_ok=True)
    for attempt in range(3):
        try:
            page.screenshot(path=str(ARTIFACTS / "screens" / f"{name}.png"))
        except PlaywrightError as exc:
            page.wait_for_timeout(500 * (attempt + 1))
            failure = exc
        else:
            return
    sys.stderr.write(f"screenshot {name!r} not taken: {failure}\n")


def sign_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/console/sign-in")
    page.get_by_label(re.compile("电子邮件|Email")).fill(email)
    page.get_by_label(re.compile("密码|Password")).fill(password)
    page.get_by_role("button", name=re.compile("登录|Sign in")).click()
    page.wait_for_load_state()
