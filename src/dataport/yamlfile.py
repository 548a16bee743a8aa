"""Reading a user's YAML file: every failure a clear error naming the file and, for a syntax
error, the line and column."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from dataport.errors import DataportError, InvalidInput


def read_yaml(
    path: Path, *, field: str, what: str = "file", error: type[DataportError] = InvalidInput
) -> Any:
    """The parsed content of ``path``; ``error`` (naming ``field``) if it cannot be had."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise error(f"no such {what}: {path}", f"文件不存在：{path}", field=field) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise error(
            f"cannot read {path} as UTF-8 text: {exc}", f"无法以 UTF-8 读取 {path}", field=field
        ) from exc
    return parse_yaml(text, str(path), field=field, error=error)


def parse_yaml(
    text: str,
    source: str,
    *,
    field: str,
    error: type[DataportError] = InvalidInput,
    source_zh: str | None = None,
) -> Any:
    """``text`` (read from ``source``) parsed; a syntax error names the source, line and column."""
    # libyaml's parser when PyYAML was built with it (about ten times faster), PyYAML's own
    # otherwise; the same safe constructor either way, and both mark errors alike.
    loader = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader, chosen above
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        where_zh = f"（第 {mark.line + 1} 行第 {mark.column + 1} 列）" if mark else ""
        raise error(
            f"{source} is not valid YAML{where}: {getattr(exc, 'problem', exc)}",
            f"{source_zh or source} 不是有效的 YAML{where_zh}",
            field=field,
        ) from exc
