"""The sample customer table: valid, consistent identifiers, checked against python-stdnum."""

from __future__ import annotations

from datetime import date

from stdnum import luhn
from stdnum.cn import ric

from dataport.samples.customers import MOBILE_PREFIXES, customers


def test_identifiers_are_valid_and_consistent() -> None:
    frame = customers(2_000)
    assert frame.height == 2_000
    for id_number, birth, sex in frame.select("身份证号", "出生日期", "性别").iter_rows():
        assert ric.is_valid(id_number), id_number
        assert ric.get_birth_date(id_number) == date.fromisoformat(birth)
        assert (int(id_number[16]) % 2 == 1) == (sex == "男")
    assert all(luhn.is_valid(card) for card in frame["银行卡号"])
    phones = frame["手机号"]
    assert phones.str.len_chars().eq(11).all()
    assert phones.str.slice(0, 3).is_in(MOBILE_PREFIXES).all()


def test_same_seed_same_table_and_some_minors() -> None:
    assert customers(500).equals(customers(500))
    births = customers(5_000)["出生日期"].str.to_date()
    minors = (births > date(2012, 1, 1)).sum()
    assert 50 < minors < 300
