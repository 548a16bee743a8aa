import pytest

from tests.classify.detectors.tables import matches_in

CATEGORY = "cn_resident_id"

FOUND = [
    ("110105198203041865", ["110105198203041865"]),
    ("360426199101010071", ["360426199101010071"]),  # python-stdnum's own example
    ("44030519881015720X", ["44030519881015720X"]),
    ("44030519881015720x", ["44030519881015720X"]),  # lower-case x written by hand
    ("810000196704022055", ["810000196704022055"]),  # Hong Kong residents' residence permit
    ("830000201908087405", ["830000201908087405"]),  # Taiwan residents' residence permit
    ("310104760805748", ["310104760805748"]),  # legacy 15-digit (GB 11643-1989)
    ("身份证号110105198203041865，请核对", ["110105198203041865"]),  # glued to Chinese text
    ("ID:110105198203041865;", ["110105198203041865"]),
    (
        "110105198203041865,110105200505025924",
        ["110105198203041865", "110105200505025924"],
    ),
]

NOT_FOUND = [
    "110105198203041866",  # check digit wrong
    "202108250708969638",  # order number opening with a date: no province 20
    # From here on each number carries the check digit its first 17 digits call for.
    "110105198213041869",  # month 13
    "110105190002291239",  # 1900 was not a leap year
    "110105180001011232",  # born before 1900
    "910105198203041864",  # 91 is no province (9 opens foreigners' IDs)
    "811234196704022050",  # 81 permits are always 810000
    "1101051982030418651",  # 19 digits: a digit run is not cut to fit
    "A110105198203041865",  # glued to letters: part of a longer code
    "20230515123045",  # YYYYMMDDhhmmss timestamp
    "",
    None,
]


@pytest.mark.parametrize(("text", "expected"), FOUND)
def test_finds_valid_ids(text: str, expected: list[str]) -> None:
    assert matches_in(CATEGORY, text) == expected


@pytest.mark.parametrize("text", NOT_FOUND)
def test_rejects_look_alikes(text: str | None) -> None:
    assert matches_in(CATEGORY, text) == []
