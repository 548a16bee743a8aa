"""The treatments as Polars expressions, checked against plain Python."""

from __future__ import annotations

import hashlib
import hmac

import polars as pl
import pytest

from dataport.errors import InvalidInput
from dataport.transfer.deidentify import apply_policy, k_anonymity
from dataport.transfer.policy import parse_policy

KEY = "9f" * 32


def frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "phone": ["13812345678", "13912345678", "15800001111", None],
            "id": ["110101199003077777", "310101200001011234", "110101199003077777", "x"],
            "born": ["1990-03-07", "2000-01-01", "1985-12-31", "1990-05-05"],
            "address": [
                "上海市徐汇区漕溪北路88号",
                "浙江省杭州市西湖区文三路",
                "北京市海淀区",
                "湖北省辉县北镇",
            ],
            "gps": ["31.230416,121.473701", "30.27,120.15", "39.9999,116.3", None],
            "tier": ["金卡", "普通", "普通", "普通"],
            "name": ["张三", "李四", "王五", "赵六"],
        }
    )


#: A treatment of every kind but suppression, one per column of ``frame``.
TREATMENTS: dict[str, object] = {
    "name": "drop",
    "phone": "mask",
    "id": "tokenise",
    "born": {"generalise": "year"},
    "address": {"generalise": "city"},
    "gps": {"generalise": {"grid": 0.01}},
}


def test_a_policy_applied() -> None:
    policy = parse_policy({"columns": TREATMENTS | {"tier": {"suppress": {"min_count": 2}}}})
    out = apply_policy(frame(), policy, KEY)
    assert out.dropped == ("name",)
    assert out.frame.columns == ["phone", "id", "born", "address", "gps", "tier"]
    assert out.frame["phone"].to_list() == ["138****5678", "139****5678", "158****1111", None]
    expected = [
        hmac.new(KEY.encode(), v.encode(), hashlib.sha256).hexdigest()[:32] for v in frame()["id"]
    ]
    assert out.frame["id"].to_list() == expected
    # The same value gives the same token: tables still join abroad.
    assert out.frame["id"][0] == out.frame["id"][2]
    assert out.frame["born"].to_list() == ["1990", "2000", "1985", "1990"]
    assert out.frame["address"].to_list() == ["上海市", "浙江省杭州市", "北京市", "湖北省"]
    assert out.frame["gps"].to_list() == ["31.23,121.47", "30.27,120.15", "39.99,116.3", None]
    assert out.frame["tier"].to_list() == [None, "普通", "普通", "普通"]
    assert out.suppressed == {"tier": 1}
    assert out.treatments["tier"] == ("suppress",)


def test_repeated_values_are_treated_as_each_row_alone() -> None:
    # Ten copies repeat every value: each treatment is then computed once per distinct value
    # and spread to its rows, which must give each row what it gets alone.
    policy = parse_policy({"columns": TREATMENTS})
    table = frame().with_columns(pl.col("id").replace("x", None))
    alone = apply_policy(table, policy, KEY)
    copies = apply_policy(pl.concat([table] * 10), policy, KEY)
    assert copies.frame.equals(pl.concat([alone.frame] * 10))
    expected = [
        None if v is None else hmac.new(KEY.encode(), v.encode(), hashlib.sha256).hexdigest()[:32]
        for v in table["id"]
    ]
    assert copies.frame["id"].to_list() == expected * 10


def test_short_values_keep_at_least_a_third_hidden() -> None:
    policy = parse_policy({"columns": {"v": "mask"}})
    out = apply_policy(pl.DataFrame({"v": ["1234", "12", "123456789"]}), policy, KEY)
    assert out.frame["v"].to_list() == ["12**", "1*", "123***789"]


def masked(value: str, keep_start: int, keep_end: int) -> str:
    """The mask in plain Python: at least a third hidden, then the ends kept as asked."""
    visible = max(0, min(keep_start + keep_end, len(value) - max(1, (len(value) + 2) // 3)))
    head = min(keep_start, visible)
    tail = visible - head
    return value[:head] + "*" * (len(value) - visible) + value[len(value) - tail :]


@pytest.mark.parametrize("keep", [(3, 4), (1, 10), (0, 2), (5, 0)])
def test_masks_of_every_length_same_length_or_not(keep: tuple[int, int]) -> None:
    # Every value has the same length (one literal mask), or not: few lengths (each length's
    # split looked up) or many (worked out per value); in text of one and of several bytes a
    # character.
    spec = {"mask": {"keep_start": keep[0], "keep_end": keep[1]}}
    policy = parse_policy({"columns": {"v": spec}})
    varied = ["", None, *("13812345678901234567890"[:n] for n in range(1, 24))]
    varied += ["张三", "上海市徐汇区漕溪北路88号", "zhang.wei@例子.中国"]
    wide = [*varied, "上海" * 200, "x" * 301]
    for column in (varied, wide, ["13812345678", "13987654321", None], ["王小明"] * 3):
        out = apply_policy(pl.DataFrame({"v": column}, schema={"v": pl.String}), policy, KEY)
        expected = [None if v is None else masked(v, *keep) for v in column]
        assert out.frame["v"].to_list() == expected


def test_typed_columns() -> None:
    import datetime as dt

    data = pl.DataFrame({"born": [dt.date(1990, 3, 7)], "lat": [31.2345], "n": [13812345678]})
    policy = parse_policy(
        {
            "columns": {
                "born": {"generalise": "month"},
                "lat": {"generalise": {"grid": 0.1}},
                "n": "tokenise",
            }
        }
    )
    out = apply_policy(data, policy, KEY).frame
    assert out["born"].to_list() == ["1990-03"]
    assert out["lat"].to_list() == [31.2]
    assert out["n"].to_list() == [
        hmac.new(KEY.encode(), b"13812345678", hashlib.sha256).hexdigest()[:32]
    ]


def test_k_anonymity() -> None:
    data = pl.DataFrame({"year": ["1990", "1990", "1991", "1991", "1991"], "sex": ["F"] * 5})
    found = k_anonymity(data, ["year", "sex"], 3)
    assert (found.k, found.classes, found.rows_below_min_k) == (2, 2, 2)
    assert k_anonymity(data, [], None).k is None


def test_records_lists_and_bytes_can_be_dropped_or_kept_but_not_treated() -> None:
    table = pl.DataFrame(
        {
            "customer": [{"phone": "13812345678"}] * 3,
            "tags": [["vip"]] * 3,
            "frame": [b"\x00"] * 3,
            "tier": ["金卡", "普通", "普通"],
        }
    )
    for column, treatment in (("customer", "mask"), ("tags", "tokenise"), ("frame", "mask")):
        policy = parse_policy({"columns": {column: treatment}})
        with pytest.raises(InvalidInput, match=f"column {column!r} holds records") as refused:
            apply_policy(table, policy, KEY)
        assert refused.value.field == f"columns.{column}"
    kept = apply_policy(table, parse_policy({"columns": {"customer": "drop"}}), KEY)
    assert kept.frame.columns == ["tags", "frame", "tier"]


def test_a_generalisation_that_cannot_read_the_column_is_refused_not_sent_empty() -> None:
    import datetime as dt

    table = pl.DataFrame(
        {
            "n": [13812345678, 13912345678],
            "at": [dt.date(2024, 1, 1), dt.date(2024, 2, 1)],
            "phone": ["13812345678", "13912345678"],
        }
    )
    for column, to, said in (
        ("n", "city", "holds Int64 values, which cannot be generalised to city"),
        ("at", {"grid": 0.01}, "coordinates"),
        ("phone", "city", "read none of its 2 values"),
    ):
        policy = parse_policy({"columns": {column: {"generalise": to}}})
        with pytest.raises(InvalidInput, match=said) as raised:
            apply_policy(table, policy, KEY)
        assert raised.value.field == f"columns.{column}"
        assert raised.value.zh


def test_values_a_generalisation_cannot_read_are_counted_apart_from_suppressed_ones() -> None:
    addresses = ["上海市徐汇区漕溪北路88号"] * 3 + ["浙江省杭州市西湖区"] * 3 + ["某处"] * 2
    addresses += ["北京市海淀区", None, "香港特别行政区油尖旺区弥敦道", "澳门特别行政区花地玛堂区"]
    table = pl.DataFrame({"address": addresses})
    city = parse_policy({"columns": {"address": {"generalise": "city"}}})
    out = apply_policy(table, city, KEY)
    assert out.unreadable == {"address": 2}
    assert out.suppressed == {}
    both = parse_policy(
        {"columns": {"address": {"generalise": "city", "suppress": {"min_count": 2}}}}
    )
    out = apply_policy(table, both, KEY)
    # 北京市 and each region are held by one row: suppressed; 某处 has no province or city:
    # not generalised.
    assert out.frame["address"].to_list() == ["上海市"] * 3 + ["浙江省杭州市"] * 3 + [None] * 6
    # A special administrative region is a province: kept alone when no city follows.
    assert apply_policy(table, city, KEY).frame["address"].to_list()[-2:] == [
        "香港特别行政区",
        "澳门特别行政区",
    ]
    assert (out.unreadable, out.suppressed) == ({"address": 2}, {"address": 3})
