import pytest

from tests.classify.detectors.tables import matches_in

CATEGORY = "cn_mobile"

FOUND = [
    ("13812345678", ["13812345678"]),
    ("电话13812345678", ["13812345678"]),  # the case \b-based patterns miss
    ("手机：138-1234-5678", ["13812345678"]),
    ("138 1234 5678", ["13812345678"]),
    ("+8613812345678", ["13812345678"]),
    ("+86 138 1234 5678", ["13812345678"]),
    ("008619912345678", ["19912345678"]),
    ("16212345678", ["16212345678"]),  # virtual-operator segment
    ("19212345678", ["19212345678"]),  # China Broadnet
    ("19612345678", ["19612345678"]),
    ("14712345678", ["14712345678"]),  # data-card segment
    ("13812345678/15912345678", ["13812345678", "15912345678"]),
]

NOT_FOUND = [
    "10012345678",  # 100 is not a mobile segment
    "15412345678",  # 154 is unallocated
    "19412345678",  # 194 is unallocated
    "17912345678",  # 179 is unallocated
    "12345678901",
    "138123456789",  # 12 digits
    "1381234567",  # 10 digits
    "110105198203041865",  # inside an ID number
    "1700000000000",  # millisecond timestamp
    "SO13812345678",  # glued to letters: an order code
    "20230515123045",
]


@pytest.mark.parametrize(("text", "expected"), FOUND)
def test_finds_mobiles(text: str, expected: list[str]) -> None:
    assert matches_in(CATEGORY, text) == expected


@pytest.mark.parametrize("text", NOT_FOUND)
def test_rejects_look_alikes(text: str) -> None:
    assert matches_in(CATEGORY, text) == []


def test_every_segment_in_use_is_found_and_no_unused_one() -> None:
    import polars as pl

    from dataport.classify import detector_for, find_matches
    from tests.classify import generators as gen

    used = [p + "12345678" for p in gen.MOBILE_PREFIXES]
    unused = [p + "12345678" for p in gen.UNUSED_MOBILE_PREFIXES]
    found = find_matches(detector_for(CATEGORY), pl.Series(used + unused))
    assert found["value"].to_list() == used
