import pytest

from dataport.classify import detector_for
from tests.classify.detectors.tables import matches_in

CATEGORY = "military_id"

IN_A_MILITARY_ID_COLUMN = [
    ("南字第12345678号", ["南字第12345678号"]),
    ("军字第 1234 号", ["军字第1234号"]),
    ("政字第A1234567", ["政字第A1234567"]),
    ("20150312", ["20150312"]),  # a bare serial
]

NOT_FOUND = [
    ("南字第12345678号", False),  # the same form outside such a column: letters, deeds
    ("京房权证朝字第123456号", True),  # a property certificate
    ("南字第123号", True),  # serial too short
    ("张三", True),
]


@pytest.mark.parametrize(("text", "expected"), IN_A_MILITARY_ID_COLUMN)
def test_finds_ids_in_a_military_id_column(text: str, expected: list[str]) -> None:
    assert matches_in(CATEGORY, text, context=True) == expected


@pytest.mark.parametrize(("text", "context"), NOT_FOUND)
def test_rejects_look_alikes(text: str, context: bool) -> None:
    assert matches_in(CATEGORY, text, context=context) == []


@pytest.mark.parametrize("header", ["军官证号", "士兵证号码", "officer_id", "jgzh"])
def test_column_names(header: str) -> None:
    assert detector_for(CATEGORY).vocabulary.matches(header)
