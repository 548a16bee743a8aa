"""Detector vocabularies are data files: each loads, belongs to a detector and fails clearly."""

from __future__ import annotations

import polars as pl
import pytest

from dataport.classify import all_detectors
from dataport.classify.vocabulary import (
    VocabularyFileError,
    alternation,
    parse_vocabulary,
    shipped_categories,
    vocabulary_file,
)

GOOD = """
category: sample
version: "2026.11.21"
source: a test
column_names:
  zh: [样例]
  latin: [sample]
values:
  things:
    source: a test
    words: [甲, 乙]
"""


def test_every_detector_has_a_vocabulary_file_and_every_file_a_detector() -> None:
    assert set(shipped_categories()) == {d.category for d in all_detectors()}


@pytest.mark.parametrize("category", shipped_categories())
def test_each_vocabulary_file_loads_with_a_version_and_a_source(category: str) -> None:
    found = vocabulary_file(category)
    assert found.category == category
    assert found.version
    assert found.source
    assert found.column_names.zh or found.column_names.latin
    assert all(v.source and v.words for v in found.values.values())


def test_detectors_use_the_column_words_of_their_file() -> None:
    for detector in all_detectors():
        assert detector.vocabulary == vocabulary_file(detector.category).columns


def test_value_lists_reach_the_detectors() -> None:
    ethnicity = next(d for d in all_detectors() if d.category == "ethnicity")
    assert "维吾尔" in vocabulary_file("ethnicity").words("groups")
    assert "维吾尔" in ethnicity.patterns[0].regex


def test_a_good_file_parses() -> None:
    parsed = parse_vocabulary(GOOD, "sample.yaml")
    assert parsed.columns.zh == ("样例",)
    assert parsed.words("things") == ("甲", "乙")


def test_a_missing_value_list_is_named() -> None:
    with pytest.raises(VocabularyFileError, match=r"sample\.yaml has no value list 'other'"):
        parse_vocabulary(GOOD, "sample.yaml").words("other")


def test_a_yaml_syntax_error_names_the_file_and_line() -> None:
    broken = GOOD.replace("zh: [样例]", "zh: [样例")
    with pytest.raises(VocabularyFileError, match=r"sample\.yaml is not valid YAML at line \d+"):
        parse_vocabulary(broken, "sample.yaml")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (GOOD.replace('version: "2026.11.21"\n', ""), "version"),
        (GOOD.replace("source: a test\ncolumn_names", "column_names"), "source"),
        (GOOD.replace("zh: [样例]", "zh: 样例"), "column_names.zh"),
        (GOOD.replace("latin: [sample]", "latin: [sample, '']"), "column_names.latin.1"),
        (GOOD.replace("  latin:", "  english:"), "column_names.english"),
        (GOOD.replace("words: [甲, 乙]", "words: []"), "values.things.words"),
        ("- just\n- a list\n", "(file)"),
    ],
)
def test_a_malformed_file_names_the_file_and_field(text: str, field: str) -> None:
    with pytest.raises(VocabularyFileError) as caught:
        parse_vocabulary(text, "sample.yaml")
    assert caught.value.field == field
    assert str(caught.value).startswith(f"vocabulary file sample.yaml: {field}: ")
    assert "sample.yaml" in caught.value.zh


def test_a_file_declaring_another_category_is_refused() -> None:
    with pytest.raises(VocabularyFileError, match="declares category 'sample', expected 'other'"):
        parse_vocabulary(GOOD, "other.yaml")


def test_alternation_matches_words_literally() -> None:
    pattern = f"^(?:{alternation(['a.b', 'c+', '(d)'])})$"
    values = pl.Series(["a.b", "axb", "c+", "cc", "(d)", "d"])
    assert values.str.contains(pattern).to_list() == [True, False, True, False, True, False]
