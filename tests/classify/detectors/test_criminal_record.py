import pytest

from tests.classify.detectors.tables import matches_in

CATEGORY = "criminal_record"


@pytest.mark.parametrize(
    "text", ["无犯罪记录", "有前科", "2015年因盗窃被判处有期徒刑三年", "缓刑二年"]
)
def test_finds_records(text: str) -> None:
    assert matches_in(CATEGORY, text) == [text]


@pytest.mark.parametrize("text", ["记录", "刑法学教材", "无"])
def test_rejects_other_words(text: str) -> None:
    assert matches_in(CATEGORY, text) == []
