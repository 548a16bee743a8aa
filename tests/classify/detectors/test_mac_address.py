import pytest

from tests.classify.detectors.tables import matches_in

CATEGORY = "mac_address"

FOUND = [
    ("00:1A:2B:3C:4D:5E", ["00:1A:2B:3C:4D:5E"]),
    ("mac=84-bf-2c-e0-37-53;", ["84-bf-2c-e0-37-53"]),
    ("0a1b.2c3d.4e5f", ["0a1b.2c3d.4e5f"]),
]

NOT_FOUND = [
    "00:00:00:00:00:00",  # placeholder
    "FF:FF:FF:FF:FF:FF",  # broadcast
    "00:1A:2B-3C:4D:5E",  # mixed separators
    "00:1A:2B:3C:4D",  # five bytes
    "12:30:45",
]


@pytest.mark.parametrize(("text", "expected"), FOUND)
def test_finds_macs(text: str, expected: list[str]) -> None:
    assert matches_in(CATEGORY, text) == expected


@pytest.mark.parametrize("text", NOT_FOUND)
def test_rejects_look_alikes(text: str) -> None:
    assert matches_in(CATEGORY, text) == []
