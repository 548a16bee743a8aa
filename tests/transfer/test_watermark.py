"""The watermark: found in parts of the table, told apart per transfer, absent elsewhere."""

from __future__ import annotations

import io

import polars as pl
import pytest

from dataport.samples.customers import customers
from dataport.transfer import watermark
from dataport.transfer.deidentify import apply_policy
from dataport.transfer.policy import parse_policy

KEY = "5a" * 32
OTHER_KEY = "a5" * 32
POLICY = parse_policy(
    {"columns": {"姓名": "drop", "身份证号": "drop", "银行卡号": "drop", "手机号": "mask"}}
)


@pytest.fixture(scope="module")
def table() -> pl.DataFrame:
    text = io.BytesIO()
    customers(1500).write_csv(text)
    source = pl.read_csv(io.BytesIO(text.getvalue()), infer_schema=False)
    return apply_policy(source, POLICY, "00" * 32).frame


def best(frame: pl.DataFrame, transfers: list[str], key: str = KEY) -> watermark.Score:
    cells = watermark.observed_cells(frame, key)
    masks = {t: watermark.transfer_mask(key, t) for t in transfers}
    return watermark.score(cells, masks, len(masks))[0]


TRANSFERS = [f"transfer-{n}" for n in range(20)]


def test_marks_differ_by_transfer_and_are_found(table: pl.DataFrame) -> None:
    marked = watermark.embed(table, KEY, "transfer-7", masked=["手机号"])
    assert set(marked.carriers) == {"手机号", "注册时间", "累计消费金额"}
    assert all(n > 0 for n in marked.changed.values())
    found = best(marked.frame, TRANSFERS)
    assert found.transfer_id == "transfer-7"
    assert found.matches
    assert found.confidence == 1.0
    other = watermark.embed(table, KEY, "transfer-8", masked=["手机号"])
    assert best(other.frame, TRANSFERS).transfer_id == "transfer-8"
    assert not other.frame.equals(marked.frame)


def test_a_sample_reordered_with_columns_dropped_still_testifies(table: pl.DataFrame) -> None:
    marked = watermark.embed(table, KEY, "transfer-3", masked=["手机号"]).frame
    leaked = marked.sample(fraction=0.1, seed=11, shuffle=True).select("会员等级", "手机号")
    assert leaked.height == 150
    found = best(leaked, TRANSFERS)
    assert found.transfer_id == "transfer-3"
    assert found.matches
    amounts = marked.sample(fraction=0.5, seed=5, shuffle=True).select("累计消费金额")
    assert best(amounts, TRANSFERS).transfer_id == "transfer-3"


def test_a_csv_round_trip_keeps_the_mark(table: pl.DataFrame) -> None:
    marked = watermark.embed(table, KEY, "transfer-12", masked=["手机号"]).frame
    text = io.BytesIO()
    marked.write_csv(text)
    found = best(pl.read_csv(io.BytesIO(text.getvalue())), TRANSFERS)
    assert found.transfer_id == "transfer-12"
    assert found.matches


def test_no_match_in_unmarked_data_or_with_another_key(table: pl.DataFrame) -> None:
    assert not best(table, TRANSFERS).matches
    marked = watermark.embed(table, KEY, "transfer-1", masked=["手机号"]).frame
    assert not best(marked, TRANSFERS, OTHER_KEY).matches
    unrelated = apply_policy(
        pl.read_csv(io.BytesIO(customers(1500, seed=99).write_csv().encode()), infer_schema=False),
        POLICY,
        "00" * 32,
    ).frame
    assert not best(unrelated, TRANSFERS).matches


def test_changes_are_one_unit_at_most_and_masks_only_hide_more(table: pl.DataFrame) -> None:
    marked = watermark.embed(table, KEY, "transfer-2", masked=["手机号"]).frame
    before = table["累计消费金额"].cast(pl.Float64)
    after = marked["累计消费金额"].cast(pl.Float64)
    assert ((before - after).abs() <= 0.0100001).all()
    seconds = (
        table["注册时间"].str.to_datetime() - marked["注册时间"].str.to_datetime()
    ).dt.total_seconds()
    assert seconds.abs().max() == 1
    stars = marked["手机号"].str.count_matches(r"\*") - table["手机号"].str.count_matches(r"\*")
    assert set(stars.unique().to_list()) == {0, 1}
    assert marked.select(pl.exclude("手机号", "注册时间", "累计消费金额")).equals(
        table.select(pl.exclude("手机号", "注册时间", "累计消费金额"))
    )


def test_typed_columns_carry_the_mark_too() -> None:
    import datetime as dt

    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    frame = pl.DataFrame(
        {
            "amount": [round(10 + n * 1.37, 2) for n in range(400)],
            "at": [start + dt.timedelta(seconds=97 * n) for n in range(400)],
        }
    )
    marked = watermark.embed(frame, KEY, "transfer-5")
    assert marked.carriers == {"amount": "num", "at": "time"}
    assert best(marked.frame, TRANSFERS).transfer_id == "transfer-5"
    assert best(marked.frame.select("at"), TRANSFERS).matches


def test_repeated_values_are_marked_as_each_row_alone(table: pl.DataFrame) -> None:
    # Eight copies repeat every value: the keyed hashes are then computed once per distinct
    # value and spread to its rows, which must mark each row exactly as the table alone does.
    holey = table.with_columns(
        pl.when(pl.int_range(pl.len()) % 9 == 0).then(None).otherwise(pl.col(c)).alias(c)
        for c in ("手机号", "注册时间", "累计消费金额")
    )
    alone = watermark.embed(holey, KEY, "transfer-4", masked=["手机号"])
    copies = watermark.embed(pl.concat([holey] * 8), KEY, "transfer-4", masked=["手机号"])
    assert copies.carriers == alone.carriers
    assert copies.frame.equals(pl.concat([alone.frame] * 8))
    assert copies.changed == {c: 8 * n for c, n in alone.changed.items()}


def typed() -> pl.DataFrame:
    import datetime as dt

    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    return pl.DataFrame(
        {
            "amount": [round(10 + (n % 50) * 1.37, 2) for n in range(400)],
            "at": [start + dt.timedelta(seconds=97 * (n % 60)) for n in range(400)],
        }
    )


@pytest.mark.parametrize("which", ["text", "typed"])
def test_marks_are_the_same_whether_values_are_grouped_or_not(
    table: pl.DataFrame, which: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = table if which == "text" else typed()
    marks = []
    for share in (0.0, 1.0):  # every value alone, then grouped by its distinct values
        monkeypatch.setattr(watermark, "_DISTINCT_SHARE", share)
        marks.append(watermark.embed(frame, KEY, "transfer-6", masked=["手机号"]))
    assert marks[0].frame.equals(marks[1].frame)
    assert marks[0].changed == marks[1].changed
    assert sum(marks[0].changed.values()) > 0
