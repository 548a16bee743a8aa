"""Policies: every form a column's treatment takes, and errors that name the field at fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataport.errors import InvalidInput
from dataport.transfer.policy import load_policy, parse_policy


def test_each_form_of_treatment() -> None:
    policy = parse_policy(
        {
            "columns": {
                "name": "drop",
                "phone": "mask",
                "email": {"mask": {"keep_start": 1, "keep_end": 0}},
                "id": "tokenise",
                "born": {"generalise": "year"},
                "address": {"generalise": "city", "suppress": {"min_count": 5}},
                "gps": {"generalise": {"grid": 0.01}},
                "tier": {"suppress": {"min_count": 10}},
                "kept": "keep",
            },
            "quasi_identifiers": ["born", "address"],
            "min_k": 5,
        }
    )
    assert policy.rule("name").actions == ("drop",)
    assert policy.rule("phone").mask is not None
    assert (policy.rule("phone").mask.keep_start, policy.rule("phone").mask.keep_end) == (3, 4)
    assert policy.rule("id").actions == ("tokenise",)
    assert policy.rule("address").actions == ("generalise", "suppress")
    grid = policy.rule("gps").generalise
    assert grid is not None
    assert grid.grid_decimals == 2
    assert policy.rule("kept").actions == ("keep",)
    assert policy.rule("not named").actions == ("keep",)
    assert policy.sha256.startswith("sha256:")


def test_the_hash_follows_the_content() -> None:
    one = parse_policy({"columns": {"a": "drop"}})
    assert one.sha256 == parse_policy({"columns": {"a": "drop"}}).sha256
    assert one.sha256 != parse_policy({"columns": {"a": "mask"}}).sha256


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"columns": {"a": "scramble"}}, "columns.a"),
        ({"columns": {"a": {"mask": {"keep_start": -1}}}}, "columns.a.mask.keep_start"),
        ({"columns": {"a": {"mask": {}, "tokenise": True}}}, "columns.a"),
        ({"columns": {"a": {"generalise": "street"}}}, "columns.a.generalise"),
        ({"columns": {"a": {"generalise": {"grid": 0}}}}, "columns.a.generalise.grid"),
        ({"columns": {"a": {"suppress": {"min_count": 1}}}}, "columns.a.suppress.min_count"),
        ({"columns": {"a": {"shuffle": True}}}, "columns.a"),
        ({"min_k": 1}, "min_k"),
        ({"colums": {}}, "colums"),
    ],
)
def test_errors_name_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_policy(data)
    assert caught.value.field == field
    assert field in caught.value.en


def test_a_file_with_bad_yaml_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("columns:\n  a: drop\n  b: [mask\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="line"):
        load_policy(path)
    with pytest.raises(InvalidInput, match="no such policy file"):
        load_policy(tmp_path / "missing.yaml")
