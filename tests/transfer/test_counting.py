"""Counting the individuals in what leaves, from the data itself."""

from __future__ import annotations

from datetime import date

import polars as pl

from dataport.samples.customers import customers
from dataport.transfer.counting import count_individuals
from dataport.transfer.deidentify import apply_policy
from dataport.transfer.policy import parse_policy

AS_OF = date(2026, 3, 1)


def source() -> pl.DataFrame:
    return customers(300, today=date(2026, 1, 1)).with_columns(
        pl.col("累计消费金额").cast(pl.String)
    )


def minors(frame: pl.DataFrame) -> int:
    return int((frame["出生日期"].str.to_date() > date(2012, 3, 1)).sum())


def count(frame: pl.DataFrame, policy: dict[str, object]) -> tuple[int, int, int]:
    rules = parse_policy(policy)
    sent = apply_policy(frame, rules, "ab" * 32)
    found = count_individuals(frame, sent.frame, sent.treatments, rules, AS_OF)
    return found.individuals, found.sensitive_individuals, found.minors


def test_minors_are_found_even_when_their_id_stays_home() -> None:
    frame = source()
    kept = ["客户编号", "手机号", "会员等级"]
    policy = {"columns": {c: "drop" for c in frame.columns if c not in kept} | {"手机号": "mask"}}
    young = minors(frame)
    assert young > 0
    assert count(frame, policy) == (300 - young, young, young)


def test_sensitive_columns_make_every_row_sensitive() -> None:
    frame = source()
    assert count(frame, {"columns": {"姓名": "drop"}})[:2] == (0, 300)  # ID numbers and cards


def test_data_about_nobody_counts_nobody() -> None:
    frame = source().select("客户编号", "会员等级", "累计消费金额")
    assert count(frame, {}) == (0, 0, 0)


def test_rows_of_one_person_count_once() -> None:
    frame = source()
    doubled = pl.concat([frame, frame.head(50)])
    kept = ["客户编号", "手机号"]
    policy = {
        "columns": {c: "drop" for c in frame.columns if c not in kept} | {"手机号": "tokenise"},
        "individual_key": "身份证号",
    }
    individuals, sensitive, _ = count(doubled, policy)
    assert individuals + sensitive == 300
