import pytest

from tests.classify.detectors.tables import matches_in

CATEGORY = "cn_license_plate"

FOUND = [
    ("京A12345", ["京A12345"]),
    ("沪B·3X5K9", ["沪B3X5K9"]),
    ("粤BD12345", ["粤BD12345"]),  # new-energy small car (8 characters)
    ("粤B12345D", ["粤B12345D"]),  # new-energy large vehicle
    ("京AF1234", ["京AF1234"]),  # ordinary plate whose serial opens with a letter
    ("苏E1234挂", ["苏E1234挂"]),  # trailer
    ("粤Z1234港", ["粤Z1234港"]),
    ("渝H-74068", ["渝H74068"]),  # as Faker writes plates
    ("车牌号为浙A88888的车辆", ["浙A88888"]),
    ("京A12345,沪C67890", ["京A12345", "沪C67890"]),
]

NOT_FOUND = [
    "京I12345",  # I is never used
    "京A1234",  # too short
    "京A123456",  # a digit too many for any plate
    "京ABCDEF",  # a word, not a serial
    "北京12345",
    "A12345",
]


@pytest.mark.parametrize(("text", "expected"), FOUND)
def test_finds_plates(text: str, expected: list[str]) -> None:
    assert matches_in(CATEGORY, text) == expected


@pytest.mark.parametrize("text", NOT_FOUND)
def test_rejects_look_alikes(text: str) -> None:
    assert matches_in(CATEGORY, text) == []
