"""The watermark: found in parts of the table, told apart per transfer, absent elsewhere."""

from __future__ import annotations

import hashlib
import io
import random

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
    copy = pl.DataFrame(table.to_dict(as_series=False))
    marked = watermark.embed(table, KEY, "transfer-2", masked=["手机号"]).frame
    assert table.equals(copy)
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
    copy = pl.DataFrame(frame.to_dict(as_series=False))
    marked = watermark.embed(frame, KEY, "transfer-5")
    assert marked.carriers == {"amount": "num", "at": "time"}
    # The changed values are set in a copy: the caller's table keeps its own.
    assert sum(marked.changed.values()) > 0
    assert frame.equals(copy)
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


def test_masks_of_one_shape_are_marked_as_the_regular_expression_reads_them(
    table: pl.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Masked phones share one shape (``138****5678``), so they are cut at fixed places.
    assert watermark._mask_shape(table.get_column("手机号")) == watermark._Shape(3, 4, 4)
    for other in (["138****5678", "13*****678"], ["1*3****5678"], ["中国****5678"], [""]):
        assert watermark._mask_shape(pl.Series("v", other)) is None
    with_nulls = table.with_columns(
        pl.when(pl.int_range(pl.len()) % 7 == 0).then(None).otherwise(pl.col("手机号"))
        .alias("手机号")
    )  # fmt: skip
    marks = []
    for shaped in (True, False):
        if not shaped:
            monkeypatch.setattr(watermark, "_mask_shape", lambda values: None)
        marks.append(watermark.embed(with_nulls, KEY, "transfer-4", masked=["手机号"]))
    assert marks[0].frame.equals(marks[1].frame)
    assert marks[0].changed == marks[1].changed
    assert marks[0].changed["手机号"] > 0


def test_marking_column_by_column_as_the_policy_treats_them_is_embed() -> None:
    # The runner marks each column as soon as the policy has treated it, two at a time.
    text = io.BytesIO()
    customers(1500).write_csv(text)
    source = pl.read_csv(io.BytesIO(text.getvalue()), infer_schema=False)
    policy = parse_policy(
        {"columns": {"姓名": "drop", "身份证号": "tokenise", "手机号": "mask", "电子邮箱": "mask"}}
    )
    marker = watermark.Marker(KEY, "transfer-8", columns=["手机号", "注册时间"], masked=["手机号"])
    by_column = marker.embedded(apply_policy(source, policy, "00" * 32, then=marker).frame)
    treated = apply_policy(source, policy, "00" * 32).frame
    whole = watermark.embed(
        treated, KEY, "transfer-8", columns=["手机号", "注册时间"], masked=["手机号"]
    )
    assert by_column.frame.equals(whole.frame)
    assert by_column.carriers == whole.carriers == {"手机号": "mask", "注册时间": "time"}
    assert by_column.changed == whole.changed
    assert not by_column.frame.equals(treated)


def keyed(kind: str, significant: str) -> int:
    """The documented value hash: SHA-256 over 128 bits of the key, the kind and the value's
    significant part, cut to 60 bits."""
    digest = hashlib.sha256(f"{KEY[:32]}{kind}:{significant}".encode()).hexdigest()
    return int(digest[:15], 16)


def selected(h: int, kind: str) -> bool:
    return (h >> 52) % watermark.GAMMA[kind] == 0


def test_value_hashes_are_the_documented_ones_so_old_marks_stay_traceable() -> None:
    # Each value's significant part computed here in plain Python, by the rules of the
    # module's docstring: any change of how it is computed must leave the hashes as they are.
    rng = random.Random(7)  # noqa: S311 - test data, not secrets
    amounts = [
        f"{rng.choice(['', '-'])}{rng.randrange(0, 10**6)}.{rng.randrange(100):02d}"
        for _ in range(600)
    ]
    amounts += [f"{rng.randrange(-50, 50) / 10**p:.{p}f}" for p in (2, 3, 6) for _ in range(600)]
    amounts += ["-0.00", "-0.01", "0.05", "007.25"]
    times = [f"2024-03-0{d} 08:{m:02d}:{s:02d}" for d in (1, 2) for m in range(60) for s in (7, 42)]
    masks = [f"1{rng.randrange(30, 99)}****{rng.randrange(10**4):04d}" for _ in range(600)]
    # Of several lengths, and multi-byte: read by the regular expression, not cut at places.
    mixed = [f"{m[:3]}{'*' * rng.randrange(1, 6)}{m[-4:]}" for m in masks]
    mixed += [f"张{'*' * rng.randrange(1, 3)}{rng.randrange(10**4):04d}" for _ in range(100)]

    def number(text: str) -> str:
        units = int(text.replace(".", ""))
        places = len(text) - text.index(".") - 1
        return f"{'-' if units < 0 else ''}{abs(units) // 10}e{places}"

    def masked(text: str) -> str:
        head, tail = text.split("*")[0], text.rsplit("*")[-1]
        return f"{head}|{tail[1:]}|{len(text)}"  # every tail here is the widest

    for column, kind, significant in (
        (amounts, "num", number),
        (times, "time", lambda text: text[:-1]),
        (masks, "mask", masked),
        (mixed, "mask", masked),
    ):
        cells = watermark.observed_cells(pl.DataFrame({"v": column}), KEY)
        expected = {keyed(kind, significant(v)) for v in column}
        assert set(cells["h"].to_list()) == {h for h in expected if selected(h, kind)}
