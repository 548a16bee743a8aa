import pytest

from tests.classify.detectors.tables import matches_in

CATEGORY = "email"

FOUND = [
    ("zhang.san@example.com", ["zhang.san@example.com"]),
    ("邮箱：li_si+news@mail.163.com。", ["li_si+news@mail.163.com"]),
    ("a@b.cn, c@d.org", ["a@b.cn", "c@d.org"]),
]

NOT_FOUND = ["logo@2x.png", "icon@3x.JPG", "user@localhost", "@example.com", "zhang@", "无"]


@pytest.mark.parametrize(("text", "expected"), FOUND)
def test_finds_addresses(text: str, expected: list[str]) -> None:
    assert matches_in(CATEGORY, text) == expected


@pytest.mark.parametrize("text", NOT_FOUND)
def test_rejects_look_alikes(text: str) -> None:
    assert matches_in(CATEGORY, text) == []
