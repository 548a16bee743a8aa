"""Applying a de-identification policy to a table, and the k-anonymity of what results.

Every treatment is a Polars expression over the whole column; keyed tokenisation is
HMAC-SHA256 computed by the ``polars-hash`` plugin (Rust), never a Python loop over rows.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import polars as pl
import polars_hash as plh

from dataport.errors import InvalidInput
from dataport.transfer.policy import ColumnRule, Generalise, Mask, Policy

STAR = "*"
#: Hex characters kept of a token: 128 bits, enough that distinct values never collide.
TOKEN_HEX = 32


@dataclass(frozen=True)
class Deidentified:
    frame: pl.DataFrame
    #: The treatments applied, by column that leaves (``keep`` for untouched ones).
    treatments: dict[str, tuple[str, ...]]
    #: Columns the policy dropped.
    dropped: tuple[str, ...]
    #: Cells emptied by suppression, per column.
    suppressed: dict[str, int]
    #: Cells a generalisation could not read (no date, no province or city, no number),
    #: sent empty, per generalised column.
    unreadable: dict[str, int] = field(default_factory=dict)


def mask(value: pl.Expr, spec: Mask, lengths: tuple[int, int] | None = None) -> pl.Expr:
    """Keep ``keep_start`` leading and ``keep_end`` trailing characters, star the rest.

    At least a third of a value is always hidden, so short values give away less than asked
    (``138****5678`` for an 11-digit phone with the default 3 and 4). ``lengths``, the
    shortest and longest values of the column in characters, lets the stars be cut from one
    literal, or all be one literal when every value has the same length (phone numbers), and
    the split of each length be looked up when they are few (e-mail addresses).
    """
    if lengths is not None and lengths[0] == lengths[1]:
        kept_start, hidden_chars, kept_end = _mask_split(lengths[0], spec)
        return pl.concat_str(
            value.str.head(kept_start), pl.lit(STAR * hidden_chars), value.str.tail(kept_end)
        )
    if lengths is not None and lengths[1] - lengths[0] < _SPLIT_TABLE:
        # Few lengths (e-mail addresses): each length's split looked up, not worked out.
        shortest, longest = lengths
        splits = [_mask_split(n, spec) for n in range(shortest, longest + 1)]
        at = value.str.len_chars().cast(pl.Int64) - shortest

        def looked_up(part: int) -> pl.Expr:
            return pl.lit(pl.Series([split[part] for split in splits], dtype=pl.Int64)).gather(at)

        return pl.concat_str(
            value.str.head(looked_up(0)),
            pl.lit(STAR * longest).str.head(looked_up(1)),
            value.str.tail(looked_up(2)),
        )
    length = value.str.len_chars().cast(pl.Int64)
    hidden_at_least = pl.max_horizontal(pl.lit(1), (length + 2) // 3)
    visible = pl.min_horizontal(
        pl.lit(spec.keep_start + spec.keep_end), length - hidden_at_least
    ).clip(lower_bound=0)
    head = pl.min_horizontal(pl.lit(spec.keep_start), visible)
    hidden = length - visible
    if lengths is None:
        stars = value.str.head(0).str.pad_end(hidden, STAR)
    else:
        stars = pl.lit(STAR * lengths[1]).str.head(hidden)
    return pl.concat_str(value.str.head(head), stars, value.str.tail(visible - head))


#: Masks of a column whose lengths span fewer values than this look each length's split up.
_SPLIT_TABLE = 256


def _mask_split(length: int, spec: Mask) -> tuple[int, int, int]:
    """For a value of ``length`` characters: how many are kept at the start, hidden, kept at
    the end (``mask``'s arithmetic, for one length)."""
    visible = max(0, min(spec.keep_start + spec.keep_end, length - max(1, (length + 2) // 3)))
    head = min(spec.keep_start, visible)
    return head, length - visible, visible - head


def tokenise(value: pl.Expr, key: str) -> pl.Expr:
    """HMAC-SHA256 of the value's UTF-8 text under the exporter's key, as 32 hex characters.

    The same value gives the same token in every transfer of this exporter, so tables sent
    at different times still join abroad; without the key, a token reveals nothing.
    """
    return plh.CryptographicHashingNameSpace(value).hmac_sha256(key=key).str.head(TOKEN_HEX)


_PROVINCE = r"(?:[^省市区县]{2,7}?(?:省|自治区|特别行政区))"
_CITY = r"(?:[^省市区县]{1,8}?(?:市|自治州|地区|盟))"


def generalise(value: pl.Expr, dtype: pl.DataType, spec: Generalise) -> pl.Expr:
    if spec.to in ("year", "month"):
        if dtype.is_temporal():
            fmt = "%Y" if spec.to == "year" else "%Y-%m"
            return value.dt.strftime(fmt)
        pattern = r"^\s*(\d{4})" if spec.to == "year" else r"^\s*(\d{4}[-/.]\d{1,2})"
        return value.cast(pl.String).str.extract(pattern, 1).str.replace_all(r"[/.]", "-")
    if spec.to == "city":
        # Province (if any) and city; a province alone when no city follows it.
        # The first match, found without capture groups: the regex engine's fast path.
        found = (
            value.cast(pl.String)
            .str.strip_chars()
            .str.extract_all(f"^{_PROVINCE}?{_CITY}?")
            .list.first()
        )
        return pl.when(found.str.len_bytes() > 0).then(found).otherwise(None)
    return _grid(value, dtype, spec)


def _grid(value: pl.Expr, dtype: pl.DataType, spec: Generalise) -> pl.Expr:
    """Snap coordinates to the south-west corner of their grid cell."""
    assert spec.grid is not None  # noqa: S101 - a grid generalisation has its size
    size = float(spec.grid)
    decimals = spec.grid_decimals
    if dtype.is_numeric():
        return ((value.cast(pl.Float64) / size).floor() * size).round(decimals)
    numbers = value.cast(pl.String).str.extract_all(r"-?\d+(?:\.\d+)?")
    snapped = numbers.list.eval(
        ((pl.element().cast(pl.Float64) / size).floor() * size).round(decimals).cast(pl.String)
    )
    return pl.when(numbers.list.len() > 0).then(snapped.list.join(",")).otherwise(None)


def _emptied(before: pl.Series, after: pl.Series) -> int:
    """Cells that held a value before a step and none after it."""
    return int((after.is_null() & before.is_not_null()).sum())


def _suppressed(value: pl.Expr, min_count: int) -> pl.Expr:
    rare = pl.len().over(value) < min_count
    return pl.when(rare & value.is_not_null()).then(None).otherwise(value)


#: A text column is treated once per distinct value, and each result spread to the value's
#: rows, when at most this share of its values are distinct (dates of birth, e-mail domains,
#: a customer's id in a table of orders); with more, grouping the values costs more than
#: treating every row.
DISTINCT_SHARE = 0.2


def _repeating(frame: pl.DataFrame, columns: list[str]) -> set[str]:
    """Which of these columns repeat their values enough to be treated per value."""
    if not columns or frame.height == 0:
        return set()
    # An estimate (HyperLogLog) decides: it costs a few hundredths of the treatments.
    counts = frame.select(pl.col(columns).approx_n_unique()).row(0, named=True)
    return {c for c, count in counts.items() if count <= DISTINCT_SHARE * frame.height}


def _per_value(rule: ColumnRule) -> bool:
    """Whether a rule's treatment of a value depends on that value alone."""
    return not rule.drop and bool(rule.mask or rule.tokenise or rule.generalise)


def _lengths(frame: pl.DataFrame, columns: list[str]) -> dict[str, tuple[int, int]]:
    """The shortest and longest text of each of these columns, in characters (for masks)."""
    if not columns or frame.height == 0:
        return {}
    text = [
        pl.col(c) if frame.schema[c] == pl.String else pl.col(c).cast(pl.String) for c in columns
    ]
    found = frame.select(
        *(t.str.len_chars().min().alias(f"lo{n}") for n, t in enumerate(text)),
        *(t.str.len_chars().max().alias(f"hi{n}") for n, t in enumerate(text)),
    ).row(0)
    lows, highs = found[: len(columns)], found[len(columns) :]
    return {
        c: (int(lo), int(hi))
        for c, lo, hi in zip(columns, lows, highs, strict=True)
        if lo is not None and hi is not None
    }


def _treat(
    name: str,
    dtype: pl.DataType,
    rule: ColumnRule,
    tokenise_key: str,
    *,
    repeats: bool = False,
    lengths: tuple[int, int] | None = None,
) -> pl.Expr | None:
    if rule.drop:
        return None
    # Per value: the treatment of each group's one value, spread to the group by a window.
    value = pl.col(name).first() if repeats else pl.col(name)

    def spread(treated: pl.Expr) -> pl.Expr:
        return treated.over(name) if repeats else treated

    text = value if dtype == pl.String else value.cast(pl.String)
    if rule.mask:
        return spread(mask(text, rule.mask, lengths)).alias(name)
    if rule.tokenise:
        return spread(tokenise(text, tokenise_key)).alias(name)
    kept = spread(generalise(value, dtype, rule.generalise)) if rule.generalise else pl.col(name)
    if rule.suppress:
        kept = _suppressed(kept, rule.suppress.min_count)
    return kept.alias(name)


#: What each generalisation reads, said in errors (en, zh).
_FITS = {
    "year": ("it reads dates, times, or text or numbers that begin with a year",
             "它读取日期、时间，或以年份开头的文本或数字"),
    "month": ("it reads dates, times, or text or numbers that begin with a year and month",
              "它读取日期、时间，或以年月开头的文本或数字"),
    "city": ("it reads Chinese addresses written as text", "它读取以文本书写的中国地址"),
    "grid": ("it reads coordinates: numbers, or text such as '31.23,121.47'",
             "它读取坐标：数字，或形如 '31.23,121.47' 的文本"),
}  # fmt: skip


def _fits(dtype: pl.DataType, spec: Generalise) -> bool:
    """Whether a column of this type holds what the generalisation reads (``_FITS``)."""
    text = dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)
    if spec.to == "city":
        return text
    if spec.to == "grid":
        return text or dtype.is_numeric()
    return text or dtype.is_numeric() or dtype.is_temporal()


def opaque(dtype: pl.DataType) -> bool:
    """Records, lists and bytes: no treatment reads them, and no CSV cell holds them."""
    return dtype.is_nested() or dtype in (pl.Binary, pl.Object)


#: Columns treated at the same time, each in a thread of its own (Polars lets go of the GIL).
COLUMNS_AT_ONCE = 2

#: What happens to a column once treated (the watermark, for one): its values in, out.
Then = Callable[[pl.Series], pl.Series]


def apply_policy(
    frame: pl.DataFrame, policy: Policy, tokenise_key: str, *, then: Then | None = None
) -> Deidentified:
    """The table as it will leave: every column treated as the policy says.

    Columns are treated one task each, ``COLUMNS_AT_ONCE`` at a time; ``then`` runs on each
    column that leaves as soon as it is treated, in the same task, so one column's next step
    overlaps another's treatment (a watermark after a tokenisation, say).
    """
    schema = frame.schema
    treatments: dict[str, tuple[str, ...]] = {}
    dropped = []
    for name, dtype in schema.items():
        rule = policy.rule(name)
        if opaque(dtype) and not set(rule.actions) <= {"drop", "keep"}:
            raise InvalidInput(
                f"policy: column {name!r} holds records, lists or binary data ({dtype}): it can "
                f"be dropped or sent as it is, not {'/'.join(rule.actions)}",
                f"policy：列 {name!r} 为记录、列表或二进制数据（{dtype}）：只能删除或原样发送，"
                f"不能{'/'.join(rule.actions)}",
                field=f"columns.{name}",
            )
        if rule.generalise and not _fits(dtype, rule.generalise):
            raise InvalidInput(
                f"policy: column {name!r} holds {dtype} values, which cannot be generalised to "
                f"{rule.generalise.to}: {_FITS[rule.generalise.to][0]}",
                f"policy：列 {name!r} 为 {dtype} 类型，无法泛化为 {rule.generalise.to}："
                f"{_FITS[rule.generalise.to][1]}",
                field=f"columns.{name}",
            )
        if rule.drop:
            dropped.append(name)
        else:
            treatments[name] = rule.actions

    def treated(name: str) -> tuple[pl.Series, int | None, int | None]:
        """One column as it leaves, the cells suppression emptied and those its generalisation
        could not read (None: no such treatment). Generalised first, then suppressed, so each
        step's emptied cells are counted apart.

        What the treatment needs to know of the whole column (whether its values repeat, the
        lengths of masked ones) is found here, in the column's own task."""
        rule, dtype = policy.rule(name), schema[name]
        repeats = dtype == pl.String and _per_value(rule) and bool(_repeating(frame, [name]))
        if not (rule.suppress or rule.generalise):
            lengths = _lengths(frame, [name]).get(name) if rule.mask else None
            expr = _treat(name, dtype, rule, tokenise_key, repeats=repeats, lengths=lengths)
            assert expr is not None  # noqa: S101 - dropped columns have no task
            return _then(frame.select(expr).to_series()), None, None
        column = frame.get_column(name)
        unread = suppressed = None
        if rule.generalise:
            step = _treat(name, dtype, ColumnRule(generalise=rule.generalise), "", repeats=repeats)
            assert step is not None  # noqa: S101 - a generalisation drops no column
            generalised = frame.select(step).to_series()
            unread = _emptied(column, generalised)
            if unread and unread == len(column) - column.null_count():
                # Not one value was read: the column is not what the policy takes it for.
                en, zh = _FITS[rule.generalise.to]
                raise InvalidInput(
                    f"policy: generalising column {name!r} to {rule.generalise.to} read none of "
                    f"its {unread:,} values ({en}): every cell would be sent empty; check that "
                    "the rule names the right column",
                    f"policy：将列 {name!r} 泛化为 {rule.generalise.to} 时，{unread:,} 个值均无法"
                    f"读取（{zh}）：所有单元格都将以空值发送；请检查规则是否指向正确的列",
                    field=f"columns.{name}",
                )
            column = generalised
        if rule.suppress:
            kept = column.to_frame().select(_suppressed(pl.col(name), rule.suppress.min_count))
            suppressed = _emptied(column, kept.to_series())
            column = kept.to_series()
        return _then(column.alias(name)), suppressed, unread

    def _then(column: pl.Series) -> pl.Series:
        return column if then is None else then(column)

    with ThreadPoolExecutor(max_workers=COLUMNS_AT_ONCE) as pool:
        done = dict(zip(treatments, pool.map(treated, treatments), strict=True))
    return Deidentified(
        frame=pl.DataFrame([column for column, _, _ in done.values()]),
        treatments=treatments,
        dropped=tuple(dropped),
        suppressed={name: n for name, (_, n, _) in done.items() if n is not None},
        unreadable={name: n for name, (_, _, n) in done.items() if n is not None},
    )


@dataclass(frozen=True)
class Anonymity:
    """k-anonymity over the quasi-identifiers: the smallest group of rows alike in all."""

    quasi_identifiers: tuple[str, ...]
    k: int | None
    classes: int
    #: Rows in groups smaller than the policy's ``min_k`` (0 without one).
    rows_below_min_k: int


def k_anonymity(frame: pl.DataFrame, quasi_identifiers: list[str], min_k: int | None) -> Anonymity:
    present = tuple(q for q in quasi_identifiers if q in frame.columns)
    if not present or frame.height == 0:
        return Anonymity(present, None, 0, 0)
    sizes = frame.group_by(list(present)).len()
    k = int(sizes.get_column("len").min())  # type: ignore[arg-type]
    below = int(sizes.filter(pl.col("len") < min_k).get_column("len").sum()) if min_k else 0
    return Anonymity(present, k, sizes.height, below)
