"""``dataport application``: an application's life on the command line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliResult

Cli = Callable[..., CliResult]


def setup(cli: Cli, tmp_path: Path) -> None:
    assert (
        cli("org", "create", "Lingang Motors", "--kind", "enterprise", "--zone", "lingang").code
        == 0
    )
    assert (
        cli("org", "create", "Rheinwerk GmbH", "--kind", "enterprise", "--country", "DE").code == 0
    )
    data = tmp_path / "owners.csv"
    data.write_text("vin,owner\nLSVAU2180N2183294,王五\n", encoding="utf-8")
    added = cli(
        "dataset",
        "add",
        str(data),
        "--name",
        "owners",
        "--org",
        "Lingang Motors",
        "--sector",
        "automotive",
    )
    assert added.code == 0, added.err


def submit(cli: Cli, *extra: str) -> CliResult:
    return cli(
        "application",
        "submit",
        "owners",
        "--org",
        "Lingang Motors",
        "--recipient",
        "Rheinwerk GmbH",
        "--purpose",
        "business",
        "--retention",
        "2 years",
        "--storage",
        "Frankfurt, DE",
        *extra,
    )


def test_application_life_with_deadlines(cli: Cli, tmp_path: Path) -> None:
    setup(cli, tmp_path)
    result = submit(cli, "--individuals", "1200000", "--on", "2026-02-10", "--format", "json")
    assert result.code == 0, result.err
    app = json.loads(result.out)
    assert (app["status"], app["due_on"]) == ("submitted", "2026-02-24")
    app_id = app["id"]
    listed = cli("application", "list")
    assert "2026-02-24" in listed.out
    assert "completeness check" in listed.out
    assert (
        cli("application", "supplement", app_id, "--missing", "contract", "--on", "2026-02-11").code
        == 0
    )
    assert cli("application", "resubmit", app_id, "--note", "added", "--on", "2026-02-12").code == 0
    assert cli("application", "complete", app_id, "--on", "2026-02-13").code == 0
    accepted = cli("application", "accept", app_id, "--on", "2026-02-24", "-f", "json")
    assert json.loads(accepted.out)["due_on"] == "2026-04-28"
    approved = cli(
        "application",
        "approve",
        app_id,
        "--max-individuals",
        "1200000",
        "--on",
        "2026-04-20",
        "-f",
        "json",
    )
    assert approved.code == 0, approved.err
    approval = json.loads(approved.out)["approval"]
    assert approval["expires_on"] == "2029-04-20"
    shown = cli("application", "show", app_id)
    assert "request_supplement" in shown.out
    assert "2029-04-20" in shown.out
    early = cli(
        "application", "extend", approval["id"], "--individuals", "1000000", "--on", "2026-05-01"
    )
    assert early.code == 2
    assert "60 working days before expiry" in early.err


def test_in_chinese_and_bad_input(cli: Cli, tmp_path: Path) -> None:
    setup(cli, tmp_path)
    exempt = submit(cli, "--individuals", "10", "--on", "2026-03-02")
    assert exempt.code == 2
    assert "no application is needed" in exempt.err
    bad_day = submit(cli, "--individuals", "300000", "--on", "2026-13-01")
    assert bad_day.code == 2
    assert "not a date" in bad_day.err
    made = submit(cli, "--individuals", "300000", "--on", "2026-03-02", "-f", "json")
    app_id = json.loads(made.out)["id"]
    chinese = cli("--lang", "zh-CN", "application", "show", app_id)
    assert "办理记录" in chinese.out
    wrong = cli("application", "accept", app_id, "--on", "2026-03-03")
    assert wrong.code == 6  # a conflict: a filing is accepted when found complete
    assert cli("application", "show", "not-an-id").code == 2
