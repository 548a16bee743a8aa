import pytest

from tests.classify.detectors.tables import matches_in

CATEGORY = "ip_address"

FOUND = [
    ("192.168.1.10", ["192.168.1.10"]),
    ("登录IP：61.135.169.121", ["61.135.169.121"]),
    ("2001:db8:85a3::8a2e:370:7334", ["2001:db8:85a3::8a2e:370:7334"]),
    ("fe80::1ff:fe23:4567:890a", ["fe80::1ff:fe23:4567:890a"]),
    ("2001:0db8:0000:0000:0000:ff00:0042:8329", ["2001:0db8:0000:0000:0000:ff00:0042:8329"]),
]

NOT_FOUND = [
    "256.1.1.1",
    "1.3.6.1.4.1.311",  # an OID, not an address
    "01.02.03.04",  # leading zeros
    "2023.05.15",
    "12:30:45",  # a time
    "aa:bb:cc:dd:ee:ff",  # a MAC address
    "v1.2.3",
]


@pytest.mark.parametrize(("text", "expected"), FOUND)
def test_finds_addresses(text: str, expected: list[str]) -> None:
    assert matches_in(CATEGORY, text) == expected


@pytest.mark.parametrize("text", NOT_FOUND)
def test_rejects_look_alikes(text: str) -> None:
    assert matches_in(CATEGORY, text) == []
