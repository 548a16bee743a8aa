import pytest

from tests.classify.detectors.tables import matches_in

CATEGORY = "ethnicity"


@pytest.mark.parametrize("text", ["汉族", "维吾尔族", "柯尔克孜族", "土家族", "京族"])
def test_finds_ethnic_groups(text: str) -> None:
    assert matches_in(CATEGORY, text) == [text]


@pytest.mark.parametrize("text", ["汉", "回", "蒙古"])
def test_bare_group_names_count_in_an_ethnicity_column_only(text: str) -> None:
    assert matches_in(CATEGORY, text, context=True) == [text]
    assert matches_in(CATEGORY, text, context=False) == []


@pytest.mark.parametrize("text", ["家族", "民族", "上班族", "汉字", "回复"])
def test_rejects_other_words(text: str) -> None:
    assert matches_in(CATEGORY, text, context=True) == []
