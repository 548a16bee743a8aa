import pytest

from tests.classify.detectors.tables import matches_in

CATEGORY = "cn_org_code"

FOUND = [
    ("60003734-1", ["600037341"]),  # the code inside USCC 91110000600037341L
    ("组织机构代码：60003734-1。", ["600037341"]),
]

NOT_FOUND = ["60003734-2", "600037341", "2023-0515-1", "ABCDEFGH-1"]


@pytest.mark.parametrize(("text", "expected"), FOUND)
def test_finds_codes(text: str, expected: list[str]) -> None:
    assert matches_in(CATEGORY, text) == expected


@pytest.mark.parametrize("text", NOT_FOUND)
def test_rejects_look_alikes(text: str) -> None:
    assert matches_in(CATEGORY, text) == []
