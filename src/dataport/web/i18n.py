"""The console's texts in zh-CN and en: one catalogue (``messages.yaml``), no text in templates."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib.resources import files
from typing import Any

import yaml

from dataport.config import Language

LANGUAGES: tuple[Language, ...] = ("zh-CN", "en")
DEFAULT_LANGUAGE: Language = "zh-CN"


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Key to ``{"zh": ..., "en": ...}``; every key has both."""
    text = (files("dataport.web") / "messages.yaml").read_text(encoding="utf-8")
    data: dict[str, dict[str, str]] = yaml.safe_load(text)
    for key, pair in data.items():
        if set(pair) != {"zh", "en"}:
            raise ValueError(f"messages.yaml: {key} needs exactly zh and en")
    return data


def translate(key: str, lang: Language, **values: Any) -> str:
    """The text ``key`` in ``lang``; an unknown key is an error, so none goes unnoticed."""
    pair = catalogue()[key]
    text = pair["zh"] if lang == "zh-CN" else pair["en"]
    return text.format(**values) if values else text


def translator(lang: Language) -> Callable[..., str]:
    def t(key: str, **values: Any) -> str:
        return translate(key, lang, **values)

    return t
