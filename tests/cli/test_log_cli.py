"""``dataport log``, ``dataport verify`` and ``dataport witness`` as an operator uses them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliResult
from tests.ledger.conftest import TESSERA_ENTRIES, TESSERA_SIGNER_KEY, TESSERA_VERIFIER_KEY

Cli = Callable[..., CliResult]


def test_init_imports_a_key_and_prints_the_verifier_key(cli: Cli, cli_env: dict[str, str]) -> None:
    result = cli(
        "log", "init", "--origin", "example.com/log/testdata", "--signer-key", TESSERA_SIGNER_KEY
    )
    assert result.code == 0, result.err
    assert TESSERA_VERIFIER_KEY in result.out
    assert cli("log", "key").out.strip() == TESSERA_VERIFIER_KEY
    key_file = Path(cli_env["home"]) / "ledger" / "log.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    again = cli("log", "init", "--origin", "example.com/other")
    assert again.code == 6
    assert "never change" in again.err


def test_raw_appends_reproduce_the_tessera_log(cli: Cli, tmp_path: Path) -> None:
    cli("log", "init", "--origin", "example.com/log/testdata", "--signer-key", TESSERA_SIGNER_KEY)
    entries = tmp_path / "entries.txt"
    entries.write_bytes(b"\n".join(TESSERA_ENTRIES) + b"\n")
    result = cli("log", "append", "--raw", "--batch", "1", str(entries))
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == "appended entries 14..14; checkpoint size 15"
    assert "rKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=" in cli("log", "checkpoint").out
    verified = cli("log", "verify")
    assert verified.code == 0
    assert "16 checkpoints signed and consistent" in verified.out


def test_json_entries_are_stored_canonical_and_bad_lines_are_named(
    cli: Cli, tmp_path: Path
) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text('{"b": 2, "a": "测试"}\n\n{"n": 1}\n')
    assert cli("log", "append", str(good)).code == 0
    receipt = json.loads(cli("log", "proof", "--index", "0").out)
    assert receipt["entry"] == '{"a":"测试","b":2}'
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"ok": 1}\n{"broken": \n')
    result = cli("log", "append", str(bad))
    assert result.code == 2
    assert f"{bad}:2" in result.err
    assert json.loads(cli("log", "status", "--format", "json").out)["size"] == 2


def test_proofs_consistency_and_the_zh_verdict(cli: Cli, tmp_path: Path) -> None:
    entries = tmp_path / "e.jsonl"
    entries.write_text("".join(f'{{"n":{n}}}\n' for n in range(10)))
    cli("log", "append", "--batch", "4", str(entries))
    proof = json.loads(cli("log", "consistency", "--old", "4").out)
    assert (proof["old_size"], proof["new_size"], len(proof["proof"])) == (4, 10, 2)
    receipt = tmp_path / "r.json"
    assert cli("log", "proof", "--index", "2", "--size", "4", "-o", str(receipt)).code == 0
    key = cli("log", "key").out.strip()
    verified = cli("--lang", "zh-CN", "verify", str(receipt), "--key", key)
    assert verified.code == 0
    assert "验证通过" in verified.out
    assert cli("log", "proof", "--index", "2", "--size", "5").code == 4  # no checkpoint of 5
    assert cli("log", "proof", "--index", "99").code == 4


def test_dataset_registration_lands_in_the_log(cli: Cli, tmp_path: Path) -> None:
    assert cli("org", "create", "Acme", "--kind", "enterprise").code == 0
    data = tmp_path / "customers.csv"
    data.write_text("name,phone\n张三,13812345678\n")
    assert cli("dataset", "add", str(data), "--name", "customers", "--org", "Acme").code == 0
    shown = json.loads(cli("dataset", "show", "customers", "--org", "Acme", "-f", "json").out)
    [evidence] = shown["evidence"]
    assert (evidence["event"], evidence["version"], evidence["index"]) == (
        "dataset.registered",
        1,
        0,
    )
    assert (
        "dataport log proof --index 0" in cli("dataset", "show", "customers", "--org", "Acme").out
    )
    entry = json.loads(json.loads(cli("log", "proof", "--index", "0").out)["entry"])
    assert entry["facts"]["content_hash"] == shown["current_version"]["content_hash"]
    assert entry["subject"] == {"type": "dataset", "id": shown["id"]}
    # Nothing an organisation keeps to itself goes into the public entry.
    for private in ("Acme", "customers", str(data), "张三", "operator:"):
        assert private not in json.dumps(entry, ensure_ascii=False)
    assert cli("log", "verify").code == 0


def test_a_witness_on_the_command_line(cli: Cli, tmp_path: Path) -> None:
    cli("log", "init", "--origin", "example.com/log/testdata", "--signer-key", TESSERA_SIGNER_KEY)
    entries = tmp_path / "entries.txt"
    entries.write_bytes(b"\n".join(TESSERA_ENTRIES[:5]) + b"\n")
    cli("log", "append", "--raw", str(entries))
    state = tmp_path / "regulator"
    created = cli("witness", "init", "--name", "witness.regulator.example", "--state", str(state))
    assert created.code == 0
    witness_key = created.out.splitlines()[-1]
    assert cli("witness", "key", "--state", str(state)).out.strip() == witness_key
    assert cli("witness", "trust", "--origin", "example.com/log/testdata", "--key",
               TESSERA_VERIFIER_KEY, "--state", str(state)).code == 0  # fmt: skip
    request = tmp_path / "request"
    checkpoint = cli("log", "checkpoint").out
    request.write_text("old 0\n\n" + checkpoint)
    cosigned = cli("witness", "add-checkpoint", str(request), "--state", str(state))
    assert cosigned.code == 0, cosigned.err
    assert cosigned.out.startswith("— witness.regulator.example ")
    assert cli("witness", "list", "--state", str(state)).out.split("\t")[1] == "5"
    stale = cli("witness", "add-checkpoint", str(request), "--state", str(state))
    assert stale.code == 8
    assert "last saw size 5" in stale.err
