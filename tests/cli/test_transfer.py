"""The command line of a transfer: send, refuse, receive and verify, trace a leak."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl

from dataport.samples.customers import customers, write_csv
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
POLICY = """\
columns:
  姓名: drop
  身份证号: drop
  银行卡号: drop
  电子邮箱: tokenise
  手机号: mask
  出生日期: {generalise: year}
  住址: {generalise: city}
  会员等级: {suppress: {min_count: 10}}
quasi_identifiers: [出生日期, 性别]
"""


def ok(result: CliResult) -> str:
    assert result.code == 0, result.err
    return result.out


def setup(cli: Cli, tmp_path: Path) -> tuple[str, Path]:
    ok(cli("org", "create", "Xinghai", "--kind", "enterprise", "--zone", "lingang"))
    ok(cli("org", "create", "Rheinwerk", "--kind", "enterprise", "--country", "DE"))
    source = write_csv(customers(300, today=date(2026, 1, 1)), tmp_path / "customers.csv")
    ok(cli("dataset", "add", str(source), "--name", "customers", "--org", "Xinghai"))
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    ok(cli("destination", "add", "frankfurt", str(outbox), "--org", "Xinghai", "--country", "DE"))
    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    application = json.loads(
        ok(
            cli(
                "application",
                "submit",
                "customers",
                "--org",
                "Xinghai",
                "--recipient",
                "Rheinwerk",
                "--purpose",
                "business",
                "--individuals",
                "300",
                "--sensitive",
                "300",
                "--retention",
                "1 year",
                "--storage",
                "Frankfurt",
                "--format",
                "json",
            )
        )
    )
    ok(cli("application", "complete", application["id"]))
    approved = json.loads(
        ok(
            cli(
                "application",
                "approve",
                application["id"],
                "--max-individuals",
                "300",
                "--max-sensitive",
                "300",
                "--format",
                "json",
            )
        )
    )
    return approved["approval"]["id"], outbox


def test_transfer_receive_and_trace(cli: Cli, tmp_path: Path) -> None:
    approval, outbox = setup(cli, tmp_path)
    send = ["transfer", "customers", "--org", "Xinghai", "--to", "Rheinwerk", "--dest", "frankfurt",
            "--policy", str(tmp_path / "policy.yaml")]  # fmt: skip

    refused = cli(*send)
    assert refused.code == 9
    assert "approval_required" in refused.out
    assert "refused and recorded" in refused.err
    assert list(outbox.iterdir()) == []

    sent = json.loads(ok(cli(*send, "--approval", approval, "--json")))
    assert sent["status"] == "delivered"
    assert sent["pathway"] == "standard_contract_or_certification"
    assert sent["rows"] == 300
    assert sent["individuals"] + sent["sensitive_individuals"] == 300
    folder = Path(sent["package"])
    assert folder.parent == outbox.resolve()

    exporter_key = ok(cli("transfers", "key", "--org", "Xinghai")).strip()
    log_key = ok(cli("log", "key")).strip()
    verified = cli("receive", str(folder), "--key", exporter_key, "--log-key", log_key)
    assert verified.code == 0, verified.err
    assert "records the delivery of this very manifest" in verified.out

    # The six 铂金 customers of 300 are too few to send their tier.
    shown = ok(cli("transfers", "show", sent["id"]))
    assert "会员等级: 6 values held by too few rows, sent empty" in shown
    assert "could not read" not in shown

    receipt = json.loads(ok(cli("transfers", "receipt", sent["id"])))
    assert json.loads((folder / "receipt.json").read_text()) == receipt
    listed = json.loads(ok(cli("transfers", "list", "--format", "json")))
    assert [t["status"] for t in listed] == ["delivered", "refused"]

    # A leak: a tenth of the rows, shuffled, half the columns, as CSV.
    (data,) = (folder / "data").iterdir()
    leaked = pl.read_parquet(data).sample(fraction=0.1, seed=4, shuffle=True)
    leaked.select("手机号", "会员等级", "累计消费金额", "性别").write_csv(tmp_path / "leak.csv")
    traced = json.loads(ok(cli("trace", str(tmp_path / "leak.csv"), "--format", "json")))
    assert traced["transfer_id"] == sent["id"]
    assert traced["recipient"] == "Rheinwerk"
    assert traced["confidence"] >= 0.999  # reported to six decimals
    # The same leak re-saved by a spreadsheet: GBK, and "Unicode text" (UTF-16, tabs).
    text = (tmp_path / "leak.csv").read_text()
    (tmp_path / "leak-gbk.csv").write_bytes(text.encode("gbk"))
    (tmp_path / "leak-unicode.txt").write_bytes(text.replace(",", "\t").encode("utf-16"))
    for resaved in ("leak-gbk.csv", "leak-unicode.txt"):
        again = json.loads(ok(cli("trace", str(tmp_path / resaved), "--format", "json")))
        assert again["transfer_id"] == sent["id"], resaved
    customers(300, seed=5).write_csv(tmp_path / "other.csv")
    unrelated = json.loads(ok(cli("trace", str(tmp_path / "other.csv"), "--format", "json")))
    assert unrelated["matched"] is False
    assert unrelated["transfer_id"] is None

    # Tampering with the data after delivery is caught offline (exit 8).
    data.write_bytes(data.read_bytes()[:-10] + b"0123456789")
    tampered = cli("receive", str(folder), "--key", exporter_key, "--log-key", log_key)
    assert tampered.code == 8
    assert "SHA-256" in tampered.err or "expected" in tampered.err
