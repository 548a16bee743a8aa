import pytest

from tests.classify.detectors.tables import matches_in

CATEGORY = "person_name"

FOUND = [
    ("张伟", False),
    ("王秀英", False),
    ("欧阳娜娜", False),  # compound surname
    ("司马光", False),
    ("Wei Zhang", False),  # romanised, given name first
    ("ZHANG Wei", False),  # romanised, surname in capitals first
    ("阿卜杜拉·艾力", True),  # name with middle dot: only in a name column
    ("John Smith", True),  # Latin-script name: only in a name column
]

NOT_FOUND = [
    ("白色", True),  # surname character, but 色 is no given name
    ("金额", True),
    ("张家口", False),  # a city
    ("王老吉凉茶", False),  # a drink
    ("北京市", False),
    ("John Smith", False),  # without the column name, any two capitalised words
    ("阿卜杜拉·艾力", False),
    ("张", False),  # a surname alone
    ("张伟伟伟", False),  # four characters after a single-character surname
    ("Li Ning 2024", False),
]


@pytest.mark.parametrize(("text", "context"), FOUND)
def test_finds_names(text: str, context: bool) -> None:
    assert matches_in(CATEGORY, text, context=context) == [text]


@pytest.mark.parametrize(("text", "context"), NOT_FOUND)
def test_rejects_non_names(text: str, context: bool) -> None:
    assert matches_in(CATEGORY, text, context=context) == []
