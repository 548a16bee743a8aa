import pytest

from tests.classify.detectors.tables import matches_in

CATEGORY = "taiwan_permit"


@pytest.mark.parametrize("text", ["12345678", "1234567801"])
def test_finds_permits_in_a_permit_column(text: str) -> None:
    assert matches_in(CATEGORY, text, context=True) == [text]


@pytest.mark.parametrize("text", ["12345678", "1234567801"])
def test_bare_digits_are_not_permits_without_the_column_name(text: str) -> None:
    assert matches_in(CATEGORY, text, context=False) == []


@pytest.mark.parametrize("text", ["1234567", "123456789", "T1234567"])
def test_rejects_other_lengths(text: str) -> None:
    assert matches_in(CATEGORY, text, context=True) == []
