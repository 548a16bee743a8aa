"""A user's YAML: syntax errors name the line and column, with libyaml's parser or without."""

from __future__ import annotations

import pytest
import yaml

from dataport import yamlfile
from dataport.errors import InvalidInput

PARSERS = [False, True] if yaml.__with_libyaml__ else [False]


@pytest.fixture(params=PARSERS, ids=lambda libyaml: "libyaml" if libyaml else "python")
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml, "__with_libyaml__", request.param)


@pytest.mark.usefixtures("parser")
@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("a: 1\nb: c: d\n", 2, 5),
        ("a: 1\n  b: 2\n", 2, 4),
        ("x: [1, 2\ny: 3\n", 2, 2),
        ("rules:\n\t- id: a\n", 2, 1),
    ],
)
def test_a_syntax_error_names_the_line_and_column(text: str, line: int, column: int) -> None:
    with pytest.raises(InvalidInput) as info:
        yamlfile.parse_yaml(text, "pack.yaml", field="pack")
    assert f"pack.yaml is not valid YAML at line {line}, column {column}:" in info.value.en
    assert f"（第 {line} 行第 {column} 列）" in info.value.zh
    assert info.value.field == "pack"


@pytest.mark.usefixtures("parser")
def test_values_are_those_of_the_safe_loader() -> None:
    text = "a: [1, 2.5, true, null, '01', 2025-06-01]\nb: {c: 身份证号}\n"
    assert yamlfile.parse_yaml(text, "x.yaml", field="x") == yaml.safe_load(text)
    with pytest.raises(InvalidInput, match="not valid YAML"):
        yamlfile.parse_yaml("!!python/object:os.system {}\n", "x.yaml", field="x")
