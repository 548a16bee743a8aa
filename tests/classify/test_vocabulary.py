"""Detector vocabularies are data files: each loads, belongs to a detector and fails clearly."""

from __future__ import annotations

import polars as pl
import pytest

from dataport.classify import all_detectors
from dataport.classify.detectors.base import Vocabulary, latin_tokens
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


def _name_speaks_of(vocabulary: Vocabulary, name: str) -> bool:
    """Column-name matching in plain Python: each word tried in turn against the name."""
    tokens = latin_tokens(name)

    def latin(entry: str) -> bool:
        wanted = latin_tokens(entry)
        if not wanted:
            return False
        width = len(wanted)
        if any(tokens[i : i + width] == wanted for i in range(len(tokens) - width + 1)):
            return True
        glued = "".join(wanted)
        return len(glued) >= 4 and any(t.startswith(glued) for t in tokens)

    if any(w in name for w in vocabulary.exclude_zh) or any(
        latin(w) for w in vocabulary.exclude_latin
    ):
        return False
    return any(w in name for w in vocabulary.zh) or any(latin(w) for w in vocabulary.latin)


def test_column_names_match_as_when_each_word_is_tried_in_turn() -> None:
    # The words are compiled into one search per vocabulary; every detector's vocabulary must
    # still answer every name as trying its words one by one does.
    vocabularies = [d.vocabulary for d in all_detectors()]
    names = ["", "col_7", "zip", "headphone", "ip", "IP地址", "商品名称", "客户姓名", "idCardNo"]
    for v in vocabularies:
        for word in (*v.zh, *v.exclude_zh):
            names += [word, f"客户{word}", f"{word}备注"]
        for word in (*v.latin, *v.exclude_latin):
            names += [word, word.upper(), f"customer_{word}", f"{word}_no", word.replace(" ", "")]
            names += [f"x{word}", word[:3], f"{word}Number"]
            glued = "".join(latin_tokens(word))
            names += [f"x_{glued}no", f"x_{glued}", f"x_{glued[:-1]}", f"x {word} no"]
    assert len(names) > 1000
    for v in vocabularies:
        assert [v.matches(n) for n in names] == [_name_speaks_of(v, n) for n in names]
    assert any(v.matches("customer_mobile_no") for v in vocabularies)
