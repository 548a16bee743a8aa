"""Canonical JSON for log entries (RFC 8785 for the values evidence uses): one value, one spelling.

Keys are sorted by their UTF-16 code units, there is no whitespace, text is UTF-8 and never
escaped beyond what JSON requires. Numbers are integers within ±2**53 only: a float has no
portable spelling, so evidence never carries one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from dataport.ledger.errors import MalformedEvidenceError

_MAX_SAFE_INTEGER = 2**53 - 1


def canonical_json(value: Any) -> bytes:
    """The canonical UTF-8 encoding of ``value`` (dicts, lists, str, int, bool, None)."""
    text = _encode(value, "$")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise MalformedEvidenceError(
            f"text holds an unpaired surrogate at offset {error.start}",
            f"文本在位置 {error.start} 含有不成对的代理字符",
        ) from None


def parse_json_entry(line: bytes, where: str) -> bytes:
    """Reads one JSON object and returns its canonical bytes; ``where`` names the line."""
    try:
        value = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise MalformedEvidenceError(
            f"{where}: not UTF-8 (byte {error.start})",
            f"{where}：不是 UTF-8 编码（第 {error.start} 字节）",
        ) from None
    except json.JSONDecodeError as error:
        raise MalformedEvidenceError(
            f"{where}: not JSON ({error.msg} at column {error.colno})",
            f"{where}：不是 JSON（第 {error.colno} 列：{error.msg}）",
        ) from None
    if not isinstance(value, dict):
        raise MalformedEvidenceError(
            f"{where}: an entry must be a JSON object",
            f"{where}：条目必须是 JSON 对象",
        )
    return canonical_json(value)


def _encode(value: Any, path: str) -> str:
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int):
        if abs(value) > _MAX_SAFE_INTEGER:
            raise MalformedEvidenceError(
                f"{path}: integer {value} is outside ±2**53-1",
                f"{path}：整数 {value} 超出 ±2**53-1 的范围",
            )
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        items = []
        for key in sorted(value, key=_utf16_key):
            if not isinstance(key, str):
                raise MalformedEvidenceError(
                    f"{path}: object key {key!r} is not a string",
                    f"{path}：对象的键 {key!r} 不是字符串",
                )
            encoded = _encode(value[key], f"{path}.{key}")
            items.append(f"{json.dumps(key, ensure_ascii=False)}:{encoded}")
        return "{" + ",".join(items) + "}"
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return "[" + ",".join(_encode(item, f"{path}[{i}]") for i, item in enumerate(value)) + "]"
    raise MalformedEvidenceError(
        f"{path}: {type(value).__name__} values have no canonical JSON form",
        f"{path}：{type(value).__name__} 类型的值没有规范 JSON 形式",
    )


def _utf16_key(key: object) -> bytes:
    return key.encode("utf-16-be") if isinstance(key, str) else b""
