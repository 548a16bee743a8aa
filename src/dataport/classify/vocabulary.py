"""The words detectors look for, read from versioned data files with their sources.

Each category has one file, ``classify/vocabularies/<category>.yaml``: the column-name words
(Chinese, Latin script, and the words that mean something else) and any named value lists
(ethnic groups, surnames, diagnoses …), each with the standard or source it comes from. The
detector modules interpret them; a malformed file is a defect of the package and fails with
an error naming the file and the field.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from dataport.classify.detectors.base import Vocabulary
from dataport.classify.errors import DetectorRegistryError
from dataport.yamlfile import parse_yaml

#: The folder of ``dataport.classify`` that holds the files.
FOLDER = "vocabularies"

_Word = Annotated[str, StringConstraints(min_length=1, strip_whitespace=False)]
#: Characters with a meaning in a Rust ``regex`` outside a character class.
_REGEX_META = frozenset(r"\.+*?()|[]{}^$")


class VocabularyFileError(DetectorRegistryError):
    """A vocabulary data file is missing or malformed."""

    code = "vocabulary_file_invalid"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnWords(_Strict):
    zh: tuple[_Word, ...] = ()
    latin: tuple[_Word, ...] = ()
    exclude_zh: tuple[_Word, ...] = ()
    exclude_latin: tuple[_Word, ...] = ()


class WordList(_Strict):
    #: The standard, law or reference the list is taken from.
    source: str = Field(min_length=1)
    words: tuple[_Word, ...] = Field(min_length=1)


class VocabularyFile(_Strict):
    """One category's words, as read from its data file."""

    category: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: str = Field(min_length=1)
    #: Where the column-name words come from.
    source: str = Field(min_length=1)
    column_names: ColumnWords
    values: dict[str, WordList] = {}

    @property
    def columns(self) -> Vocabulary:
        """The column-name vocabulary, as detectors use it."""
        words = self.column_names
        return Vocabulary(
            zh=words.zh,
            latin=words.latin,
            exclude_zh=words.exclude_zh,
            exclude_latin=words.exclude_latin,
        )

    def words(self, name: str) -> tuple[str, ...]:
        """The value list ``name``; an error naming the file if it has none."""
        found = self.values.get(name)
        if found is None:
            raise VocabularyFileError(
                f"vocabulary file {self.category}.yaml has no value list {name!r}",
                f"词表文件 {self.category}.yaml 缺少取值词表 {name!r}",
                field=f"values.{name}",
            )
        return found.words


def parse_vocabulary(text: str, file_name: str) -> VocabularyFile:
    """A vocabulary file's content; ``VocabularyFileError`` naming the file and field if bad."""
    data = parse_yaml(
        text,
        f"vocabulary file {file_name}",
        field="file",
        error=VocabularyFileError,
        source_zh=f"词表文件 {file_name}",
    )
    try:
        parsed = VocabularyFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(file)"
        raise VocabularyFileError(
            f"vocabulary file {file_name}: {where}: {first['msg']}",
            f"词表文件 {file_name}：{where}：{first['msg']}",
            field=where,
        ) from exc
    expected = file_name.removesuffix(".yaml")
    if parsed.category != expected:
        raise VocabularyFileError(
            f"vocabulary file {file_name} declares category {parsed.category!r}, "
            f"expected {expected!r}",
            f"词表文件 {file_name} 声明的类别为 {parsed.category!r}，应为 {expected!r}",
            field="category",
        )
    return parsed


def read_vocabulary(entry: Traversable) -> VocabularyFile:
    """Read and check one vocabulary file."""
    try:
        text = entry.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise VocabularyFileError(
            f"no vocabulary file {entry.name} in dataport.classify/{FOLDER}",
            f"dataport.classify/{FOLDER} 中没有词表文件 {entry.name}",
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise VocabularyFileError(
            f"cannot read vocabulary file {entry.name} as UTF-8 text: {exc}",
            f"无法以 UTF-8 读取词表文件 {entry.name}",
        ) from exc
    return parse_vocabulary(text, entry.name)


@cache
def vocabulary_file(category: str) -> VocabularyFile:
    """The vocabulary file of ``category`` shipped with dataport (read once)."""
    return read_vocabulary(files("dataport.classify") / FOLDER / f"{category}.yaml")


def shipped_categories() -> tuple[str, ...]:
    """The categories that have a vocabulary file in the package."""
    folder = files("dataport.classify") / FOLDER
    return tuple(
        sorted(e.name.removesuffix(".yaml") for e in folder.iterdir() if e.name.endswith(".yaml"))
    )


def escape(word: str) -> str:
    """``word`` as a literal in a Rust ``regex`` (outside a character class)."""
    return "".join(f"\\{c}" if c in _REGEX_META else c for c in word)


def alternation(words: Iterable[str]) -> str:
    """A regex matching any of ``words``, tried in the order given (put longer words first)."""
    return "|".join(escape(w) for w in words)
