import pytest

from tests.classify.detectors.tables import matches_in

CATEGORY = "foreigner_permanent_id"

FOUND = [
    ("911410199603244508", ["911410199603244508"]),  # 2023 form
    ("DEU110098102719", ["DEU110098102719"]),  # earlier 15-character form
    ("永居证号:deu110098102719", ["DEU110098102719"]),
]

NOT_FOUND = [
    "911410199603244509",  # check digit wrong
    # Each of these carries the check digit its own first 17 digits call for.
    "981410199603244500",  # province 81: Hong Kong issues no mainland residence IDs
    "911999199603244504",  # nationality code 999 does not exist
    "911410199613244501",  # month 13
    "DEU110098102718",  # check digit wrong
    "DEU110098132718",  # month 13, with the check digit it calls for
    "110105198203041865",  # a resident ID
]


@pytest.mark.parametrize(("text", "expected"), FOUND)
def test_finds_ids(text: str, expected: list[str]) -> None:
    assert matches_in(CATEGORY, text) == expected


@pytest.mark.parametrize("text", NOT_FOUND)
def test_rejects_look_alikes(text: str) -> None:
    assert matches_in(CATEGORY, text) == []
