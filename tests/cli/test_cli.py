"""The command line as a person uses it: flows, output formats, errors and exit codes."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from dataport.api.app import create_app
from dataport.config import get_settings
from dataport.errors import Conflict, NotFound, SourceError
from tests.conftest import CliResult

Cli = Callable[..., CliResult]


def setup_org(cli: Cli) -> None:
    assert cli("org", "create", "Acme", "--kind", "enterprise", "--zone", "lingang").code == 0
    assert (
        cli("user", "add", "dpo@acme.example", "--org", "Acme", "--role", "data_officer").code == 0
    )


def test_org_user_token_flow(cli: Cli) -> None:
    setup_org(cli)
    orgs = json.loads(cli("org", "list", "--format", "json").out)
    assert [(o["name"], o["registered_zone"]) for o in orgs] == [("Acme", "lingang")]
    created = cli("token", "create", "--user", "dpo@acme.example", "--format", "json")
    assert created.code == 0
    token = json.loads(created.out)["token"]
    assert token.startswith("dpt_")
    listed = cli("token", "list", "--org", "Acme")
    assert listed.code == 0
    assert token not in listed.out
    assert token[:12] in listed.out
    revoked = cli("token", "revoke", json.loads(created.out)["id"])
    assert revoked.code == 0
    shown = json.loads(cli("org", "show", "Acme", "--format", "json").out)
    assert [m["email"] for m in shown["members"]] == ["dpo@acme.example"]


def test_tables_in_a_narrow_terminal_wrap_ids_instead_of_cutting_them(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = "一个名字相当长的数据科技有限公司"
    assert cli("org", "create", name, "--kind", "enterprise").code == 0
    (org,) = json.loads(cli("org", "list", "--format", "json").out)
    monkeypatch.setenv("COLUMNS", "60")
    shown = cli("org", "list").out
    assert "…" not in shown
    # The last column, read down its lines, holds the whole id.
    last = "".join(line.split("│")[-2].strip() for line in shown.splitlines() if "│" in line)
    assert org["id"] in last


def test_token_is_printed_once_with_a_warning(cli: Cli) -> None:
    setup_org(cli)
    result = cli("token", "create", "--user", "dpo@acme.example")
    assert result.out.splitlines()[0].startswith("dpt_")
    assert "shown only once" in result.out


def test_dataset_add_show_refresh(cli: Cli, tmp_path: Path) -> None:
    setup_org(cli)
    data = tmp_path / "客户.csv"
    data.write_bytes("姓名,手机号\n张三,13812345678\n".encode("gbk"))
    added = cli(
        "dataset",
        "add",
        str(data),
        "--name",
        "customers",
        "--org",
        "Acme",
        "--sector",
        "ecommerce",
        "--zone",
        "offshore",
        "--format",
        "json",
    )
    assert added.code == 0, added.err
    body = json.loads(added.out)
    assert body["version"]["encoding"] == "gb18030"
    assert body["dataset"]["zone"] == "offshore"

    shown = cli("dataset", "show", "customers", "--org", "Acme")
    assert shown.code == 0
    assert "姓名" in shown.out
    assert "offshore" in shown.out

    assert "unchanged" in cli("dataset", "refresh", "customers", "--org", "Acme").out
    data.write_bytes("姓名,手机号\n张三,13812345678\n李四,13987654321\n".encode("gbk"))
    assert "version 2" in cli("dataset", "refresh", "customers", "--org", "Acme").out
    history = json.loads(cli("dataset", "show", "customers", "--org", "Acme", "-f", "json").out)
    assert [v["row_count"] for v in history["versions"]] == [1, 2]

    listed = json.loads(cli("dataset", "list", "--format", "json").out)
    assert [d["name"] for d in listed] == ["customers"]


def test_dataset_rights(cli: Cli, tmp_path: Path) -> None:
    setup_org(cli)
    cli("org", "create", "Shanghai Data Exchange", "--kind", "exchange_operator")
    data = tmp_path / "d.parquet"
    pl.DataFrame({"a": [1]}).write_parquet(data)
    cli("dataset", "add", str(data), "--name", "d", "--org", "Acme")
    result = cli(
        "dataset",
        "rights",
        "d",
        "--org",
        "Acme",
        "--operation",
        "Shanghai Data Exchange",
        "--format",
        "json",
    )
    assert result.code == 0, result.err
    holders = {r["kind"]: r["holder_name"] for r in json.loads(result.out)["rights"]}
    assert holders == {
        "resource_holding": "Acme",
        "processing_use": "Acme",
        "product_operation": "Shanghai Data Exchange",
    }
    assert cli("dataset", "rights", "d", "--org", "Acme").code == 2


def test_database_table_source(cli: Cli, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE clients (id INTEGER PRIMARY KEY, phone TEXT)"))
        conn.execute(sa.text("INSERT INTO clients VALUES (1, '13812345678')"))
    engine.dispose()
    setup_org(cli)
    result = cli("dataset", "add", url, "--table", "clients", "--name", "crm", "--org", "Acme")
    assert result.code == 0, result.err
    assert "database table" not in result.err


def test_bad_input_gets_a_clear_message_and_exit_code_and_writes_nothing(
    cli: Cli, tmp_path: Path
) -> None:
    setup_org(cli)
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    empty = tmp_path / "empty.csv"
    empty.touch()
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\x00\x01\x02PK\x00")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\n3\n")
    unsupported = tmp_path / "data.xml"
    unsupported.write_text("<a/>")
    cases = [
        (str(tmp_path / "missing.csv"), "no such file"),
        (str(folder), "is a directory"),
        (str(empty), "is empty"),
        (str(binary), "binary file"),
        (str(ragged), "row 3 has 1 fields"),
        (str(unsupported), "cannot tell the format"),
        ("postgresql+psycopg://x:pw@127.0.0.1:1/none", "--table"),
    ]
    for source, message in cases:
        result = cli("dataset", "add", source, "--name", "x", "--org", "Acme")
        assert result.code == SourceError.exit_code, (source, result.err)
        assert message in result.err, (source, result.err)
    unreachable = cli(
        "dataset",
        "add",
        "postgresql+psycopg://x:pw@127.0.0.1:1/none",
        "--table",
        "t",
        "--name",
        "x",
        "--org",
        "Acme",
    )
    assert unreachable.code == SourceError.exit_code
    assert "cannot connect" in unreachable.err
    assert ":pw@" not in unreachable.err
    nobody = cli("dataset", "add", str(ragged), "--name", "x", "--org", "Nobody")
    assert nobody.code == NotFound.exit_code
    assert "no organisation named 'Nobody'" in nobody.err
    assert json.loads(cli("dataset", "list", "--format", "json").out) == []


def test_duplicate_dataset_name(cli: Cli, tmp_path: Path) -> None:
    setup_org(cli)
    data = tmp_path / "a.csv"
    data.write_text("a\n1\n")
    assert cli("dataset", "add", str(data), "--name", "a", "--org", "Acme").code == 0
    again = cli("dataset", "add", str(data), "--name", "a", "--org", "Acme")
    assert again.code == Conflict.exit_code
    assert "already has a dataset named 'a'" in again.err


def test_errors_in_chinese(cli: Cli) -> None:
    result = cli("--lang", "zh-CN", "org", "show", "不存在的公司")
    assert result.code == NotFound.exit_code
    assert "不存在名为" in result.err


def test_usage_errors_exit_2(cli: Cli) -> None:
    assert cli("org", "create", "X", "--kind", "pirate").code == 2
    assert cli("org", "create", "X", "--kind", "enterprise", "--uscc", "123").code == 2


def test_audit_list(cli: Cli) -> None:
    setup_org(cli)
    events = json.loads(cli("audit", "list", "--format", "json").out)
    assert [e["action"] for e in events] == ["member.added", "organisation.created"]
    assert all(e["actor"].startswith("operator:") for e in events)


def test_db_status_and_version(cli: Cli) -> None:
    setup_org(cli)
    assert cli("db", "status").code == 0
    assert cli("version").out.startswith("dataport ")


def test_demo_runs_from_a_fresh_home_and_again(cli: Cli, cli_env: dict[str, str]) -> None:
    first = cli("demo", "--rows", "300")
    assert first.code == 0, first.err
    assert "customers" in first.out
    assert "gb18030" in first.out
    # The scan step: ID numbers found, the customers counted, the minors among them.
    assert "cn_resident_id" in first.out
    assert "individuals: 300" in first.out
    assert "minors under 14" in first.out
    assert (Path(cli_env["home"]) / "demo" / "customers.csv").exists()
    second = cli("demo", "--rows", "300")
    assert second.code == 0, second.err
    assert "unchanged" in second.out
    datasets = json.loads(cli("dataset", "list", "--format", "json").out)
    assert sorted(d["name"] for d in datasets) == ["crm-legacy-export", "customers"]


def test_the_demo_tokens_are_printed_whole_in_a_narrow_terminal(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In 80 columns a box would cut a token off: the commands that hold one are plain lines.
    monkeypatch.setenv("COLUMNS", "80")
    shown = cli("demo", "--rows", "300")
    assert shown.code == 0, shown.err
    tokens = re.findall(r"Bearer (dpt_[A-Za-z0-9_-]+)", shown.out)
    assert len(tokens) == 2
    with TestClient(create_app(get_settings())) as client:
        for token in tokens:
            answer = client.get("/v1/datasets", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200, answer.text
