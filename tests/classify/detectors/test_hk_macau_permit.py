import pytest

from tests.classify.detectors.tables import matches_in

CATEGORY = "hk_macau_permit"

FOUND = [
    ("H12345678", False, ["H12345678"]),
    ("M1234567801", False, ["M1234567801"]),  # with the reissue count
    ("C12345678", True, ["C12345678"]),  # mainland residents' exit-entry permit
    ("CA1234567", True, ["CA1234567"]),
]

NOT_FOUND = [
    ("C12345678", False),
    ("H1234567", True),
    ("H123456789", True),  # 9 digits: neither form
    ("K12345678", True),
]


@pytest.mark.parametrize(("text", "context", "expected"), FOUND)
def test_finds_permits(text: str, context: bool, expected: list[str]) -> None:
    assert matches_in(CATEGORY, text, context=context) == expected


@pytest.mark.parametrize(("text", "context"), NOT_FOUND)
def test_rejects_look_alikes(text: str, context: bool) -> None:
    assert matches_in(CATEGORY, text, context=context) == []
