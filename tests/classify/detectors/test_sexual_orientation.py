import pytest

from tests.classify.detectors.tables import matches_in

CATEGORY = "sexual_orientation"


@pytest.mark.parametrize("text", ["异性恋", "同性恋", "双性恋"])
def test_finds_orientations(text: str) -> None:
    assert matches_in(CATEGORY, text) == [text]


@pytest.mark.parametrize("text", ["straight", "gay"])
def test_english_words_count_in_an_orientation_column_only(text: str) -> None:
    assert matches_in(CATEGORY, text, context=True) == [text]
    assert matches_in(CATEGORY, text, context=False) == []


@pytest.mark.parametrize("text", ["恋爱", "同事", "性别"])
def test_rejects_other_words(text: str) -> None:
    assert matches_in(CATEGORY, text, context=True) == []
