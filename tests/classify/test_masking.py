"""Masked examples keep what identifies the kind of value and never the person."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from dataport.classify import detector_for, masking

DIGITS = "0123456789"


def mask_with(category: str, values: list[str]) -> list[str]:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    return frame.select(detector_for(category).mask(pl.col("v")).alias("m"))["m"].to_list()


@given(
    st.lists(
        st.text(DIGITS, min_size=17, max_size=17).map(lambda s: s + "X"), min_size=1, max_size=30
    )
)
def test_resident_id_hides_birth_date_and_order(ids: list[str]) -> None:
    for raw, masked in zip(ids, mask_with("cn_resident_id", ids), strict=True):
        assert masked == raw[:6] + "*" * 8 + raw[14:]


@given(st.lists(st.text(DIGITS, min_size=11, max_size=11), min_size=1, max_size=30))
def test_mobile_hides_the_middle_four_digits(phones: list[str]) -> None:
    for raw, masked in zip(phones, mask_with("cn_mobile", phones), strict=True):
        assert masked == raw[:3] + "****" + raw[7:]


@given(st.lists(st.text(DIGITS, min_size=16, max_size=19), min_size=1, max_size=30))
def test_bank_card_keeps_issuer_and_last_four_only(cards: list[str]) -> None:
    for raw, masked in zip(cards, mask_with("bank_card", cards), strict=True):
        assert masked == raw[:6] + "*" * (len(raw) - 10) + raw[-4:]


@given(
    st.lists(st.text(min_size=0, max_size=40), min_size=1, max_size=30),
    st.integers(0, 8),
    st.integers(0, 8),
)
def test_keep_ends_always_hides_a_third(values: list[str], head: int, tail: int) -> None:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    masked = frame.select(masking.keep_ends(pl.col("v"), head, tail).alias("m"))["m"].to_list()
    for raw, out in zip(values, masked, strict=True):
        assert len(out) == len(raw)
        hidden = sum(1 for a, b in zip(raw, out, strict=True) if b == "*" and a != "*")
        assert hidden >= -(-len(raw) // 3) - raw.count("*")
        # What is shown is shown in place.
        assert all(b in ("*", a) for a, b in zip(raw, out, strict=True))


def test_email_keeps_first_letter_and_domain() -> None:
    assert mask_with("email", ["zhangsan@example.com", "a@qq.com"]) == [
        "z***@example.com",
        "a***@qq.com",
    ]


def test_names_keep_the_surname_or_initials() -> None:
    assert mask_with("person_name", ["张伟", "欧阳娜娜", "Wei Zhang"]) == [
        "张*",
        "欧***",
        "W*** Z***",
    ]


def test_address_stops_at_the_district() -> None:
    masked = mask_with("address", ["上海市徐汇区虹漕路461号58号楼", "虹漕路461号"])
    assert masked == ["上海市徐汇区****", "虹漕****"]


def test_network_and_device_identifiers() -> None:
    assert mask_with("ip_address", ["192.168.31.7", "2001:db8:85a3::7334"]) == [
        "192.168.*.*",
        "2001:db8:****",
    ]
    assert mask_with("mac_address", ["00:1A:2B:3C:4D:5E"]) == ["00:1A:2B:**:**:**"]
    assert mask_with("imei", ["490154203237518"]) == ["49015420*******"]


def test_other_identifiers() -> None:
    assert mask_with("cn_license_plate", ["粤BD12345"]) == ["粤B*****5"]
    assert mask_with("gps_coordinate", ["31.230416,121.473701"]) == ["31.2**,121.4**"]
    assert mask_with("birth_date", ["1990-05-17"]) == ["1990-**-**"]
    assert mask_with("passport", ["E12345678"]) == ["E1*****78"]
    assert mask_with("ethnicity", ["维吾尔族"]) == ["维***"]
