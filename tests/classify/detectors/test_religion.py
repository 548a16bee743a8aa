import pytest

from tests.classify.detectors.tables import matches_in

CATEGORY = "religion"


@pytest.mark.parametrize("text", ["佛教", "伊斯兰教", "基督教徒", "无宗教信仰", "藏传佛教"])
def test_finds_beliefs(text: str) -> None:
    assert matches_in(CATEGORY, text) == [text]


@pytest.mark.parametrize("text", ["Christian", "Buddhism", "Muslim"])
def test_english_beliefs_count_in_a_religion_column_only(text: str) -> None:
    assert matches_in(CATEGORY, text, context=True) == [text]
    assert matches_in(CATEGORY, text, context=False) == []


@pytest.mark.parametrize("text", ["教育", "佛山", "道路", "基督山伯爵"])
def test_rejects_other_words(text: str) -> None:
    assert matches_in(CATEGORY, text, context=True) == []
