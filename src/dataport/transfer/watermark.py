"""A keyed, invisible watermark in the delivered table, different for every transfer.

In the manner of Agrawal and Kiernan (VLDB 2002), a secret key selects which values carry a
mark and what the mark is; detection needs the key, never the original data. Rows are not
selected by a primary key (a leaker may drop it): each value is selected by a keyed hash of
its own significant part, a *virtual primary key* as in Li, Swarup and Jajodia's
fingerprinting. So the mark survives re-ordering, sampling rows and dropping columns: every
remaining carrier value still testifies on its own.

Carriers, found by the shape of a column:

- ``num``: decimals with at least two fractional digits (``1234.56``, or a float column of
  cents): the parity of the last digit, changed by one unit in the last place if needed;
- ``time``: timestamps to the second (``2024-03-01 08:15:42``): the parity of the seconds'
  last digit (a change of one second at most);
- ``mask``: masked values (``138****5678``): whether the first kept trailing character is
  hidden as well (``138*****678``), which reveals less, never more.

For a value, ``h`` is SHA-256(128 bits of the watermark key, kind ":" significant part), cut
to 60 bits.
The value carries a mark when ``h >> 52`` is divisible by the kind's ``gamma``; the bit for
transfer T is the parity of ``h & m_T``, where ``m_T`` is a 52-bit mask derived from the
key and T's id. For any other transfer, or for unmarked data, the bits agree by chance, half
the time; for the transfer the data came from, they all agree.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import polars as pl
import polars_hash as plh

Kind = Literal["num", "time", "mask"]

#: One carrier value in ``GAMMA`` is marked: a mask costs nothing, a digit costs one unit.
GAMMA: dict[str, int] = {"num": 8, "time": 8, "mask": 1}
_LOW_BITS = 52
#: Hex characters of the watermark key the value hash is keyed with (128 bits).
_KEY_HEX = 32
_LOW_MASK = (1 << _LOW_BITS) - 1
#: Turns what a column's parts are computed from into significant parts (``_Cells``).
_Stable = Callable[[pl.Expr], pl.Expr]
_DECIMAL = r"^-?\d{1,15}\.\d{2,6}$"
_TIMESTAMP = r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}$"
_MASKED = r"^([^*]*)(\*+)([^*]+)$"
#: A text column is a carrier when this share of its first values has the carrier's shape
#: (a CSV drops trailing zeros: ``12.50`` comes back as ``12.5``, which carries nothing).
_SHAPE_SHARE = 0.8
_SHAPE_SAMPLE = 10_000
#: Distinct carrier values needed before a match is claimed.
MIN_CELLS = 24
#: A match needs at least this share of agreeing bits...
MIN_AGREEMENT = 0.8
#: ...and a chance of arising by accident (over all candidates) below this.
MAX_FALSE_MATCH = 1e-6


def transfer_mask(key: str, transfer_id: str) -> int:
    """``m_T``: which bits of a value's hash make transfer T's bit (never all zero)."""
    digest = hmac.new(
        key.encode(), f"dataport-watermark/v1:transfer:{transfer_id}".encode(), hashlib.sha256
    ).digest()
    return (int.from_bytes(digest[:8], "big") & _LOW_MASK) or 1


def _keyed(stable: pl.Expr, kind: str, key: str) -> pl.Expr:
    """SHA-256 over 128 bits of the key, the kind and the value, cut to 60 bits.

    The hashes never leave (only the bits they choose do), so a secret prefix is as good a
    keyed hash here as HMAC, and short values fit one SHA-256 block: three times faster.
    """
    labelled = pl.concat_str(pl.lit(f"{key[:_KEY_HEX]}{kind}:"), stable)
    digest = plh.CryptographicHashingNameSpace(labelled).sha2_256()
    return digest.str.head(15).str.to_integer(base=16)


#: A column of significant parts is hashed once per distinct value, and each hash spread to
#: the value's rows, when at most this share of its values are distinct (masked values
#: repeat by design: ``138****5678`` keeps ``138|678|11``); with more, grouping the values
#: costs more than hashing them all.
_DISTINCT_SHARE = 0.2
#: Carrier columns marked at the same time, each in its own thread.
_COLUMNS_AT_ONCE = 2


def _hashes(
    staged: pl.DataFrame, stables: Mapping[str, tuple[str, Kind, _Stable]], key: str
) -> list[pl.Expr]:
    """The keyed hash of each column of significant parts in ``staged``, as expressions.

    ``stables`` maps each such column to the name of its hash, the carrier kind and what
    turns the column into significant parts (``_Cells.stable``). Either way a value's hash is
    ``_keyed`` of its significant part, and a null part's hash is null.
    """
    # An estimate (HyperLogLog) decides: it costs a few hundredths of the hashes.
    distinct = staged.select(pl.col(p).approx_n_unique() for p in stables).row(0)
    hashes = []
    for (part, (name, kind, stable)), count in zip(stables.items(), distinct, strict=True):
        if count <= _DISTINCT_SHARE * staged.height:
            h = _keyed(stable(pl.col(part).first()), kind, key).over(part)
        else:
            h = _keyed(stable(pl.col(part)), kind, key)
        hashes.append(h.alias(name))
    return hashes


def _bit(h: pl.Expr, mark: int) -> pl.Expr:
    return (h & mark).bitwise_count_ones().cast(pl.Int64) % 2


def _selected(h: pl.Expr, kind: str) -> pl.Expr:
    return (h // (1 << _LOW_BITS)) % GAMMA[kind] == 0


# -- the carriers ------------------------------------------------------------------------


def _float_decimals(series: pl.Series) -> int | None:
    """How many decimals a float column is kept to (2 to 6), if it is one of cents and such."""
    values = series.drop_nulls().drop_nans()
    if values.is_empty():
        return None
    for decimals in range(2, 7):
        scaled = values * 10**decimals
        if bool(((scaled - scaled.round()).abs() < 1e-6 * scaled.abs().clip(1.0)).all()):
            has_last = bool((scaled.round().cast(pl.Int64) % 10 != 0).any())
            return decimals if has_last or decimals == 2 else None
    return None


def carrier_kind(series: pl.Series) -> Kind | None:
    """What kind of mark a column can carry, judged from its values."""
    dtype = series.dtype
    values = series.drop_nulls()
    if values.is_empty():
        return None
    if dtype.is_float():
        return "num" if _float_decimals(series) is not None else None
    if isinstance(dtype, pl.Datetime):
        return "time"
    if dtype != pl.String:
        return None
    sample = values.head(_SHAPE_SAMPLE)
    if _share(sample.str.contains(_DECIMAL)) >= _SHAPE_SHARE:
        return "num"
    if _share(sample.str.contains(_TIMESTAMP)) >= _SHAPE_SHARE:
        return "time"
    tails = sample.str.extract(_MASKED, 3).str.len_chars()
    if _share(tails.is_not_null()) >= _SHAPE_SHARE and bool((tails >= 2).any()):
        return "mask"
    return None


def _share(flags: pl.Series) -> float:
    return int(flags.sum()) / max(1, len(flags))


def _as_is(part: pl.Expr) -> pl.Expr:
    return part


@dataclass(frozen=True)
class _Cells:
    """One column's carrier values: the significant part and the bit each shows now."""

    #: What the significant part is computed from, per value: the part itself, or a key that
    #: ``stable`` turns into it (then computed once per distinct key, not once per value).
    part: pl.Expr
    bit: pl.Expr
    #: Whether the value can carry a mark at all.
    usable: pl.Expr
    #: The value with its bit flipped (computed for the values that change only).
    moved: pl.Expr
    stable: _Stable = _as_is
    #: Working columns the expressions above read, computed first (``_staged``).
    working: tuple[pl.Expr, ...] = ()


#: A number's key packs its significant part: the units but the last digit, times 8, plus the
#: places (2 to 6 in any usable value); a negative number's key is ``-key - 1``.
_PLACES = 8


def _num_cells(column: str, dtype: pl.DataType, decimals: int | None, n: int) -> _Cells:
    """The significant part of ``-12.34`` is ``-123e2``: the sign, the units without the last
    digit, and the places; the mark is the parity of the last digit.

    The units, the places and the shape are working columns (``__n<n>u``, ...), computed once
    for the part, the bit and the usable flag.
    """
    names = {w: f"__n{n}{w}" for w in ("u", "p", "s")}
    if dtype.is_float():
        assert decimals is not None  # noqa: S101 - carrier_kind found the decimals
        working: tuple[pl.Expr, ...] = (
            (pl.col(column) * 10**decimals).round().cast(pl.Int64).alias(names["u"]),
        )
        places = pl.lit(decimals, dtype=pl.Int64)
        shaped = pl.lit(True)
    else:
        text = pl.col(column)
        # Byte offsets are character offsets in the ASCII values that are usable at all.
        dot = text.str.find(".", literal=True).cast(pl.Int64)
        working = (
            text.str.replace(".", "", literal=True).cast(pl.Int64, strict=False).alias(names["u"]),
            (text.str.len_bytes().cast(pl.Int64) - dot - 1).alias(names["p"]),
            text.str.contains(_DECIMAL).alias(names["s"]),
        )
        places = pl.col(names["p"])
        shaped = pl.col(names["s"])
    units = pl.col(names["u"])
    magnitude = units.abs()
    key = magnitude // 10 * _PLACES + places
    return _Cells(
        pl.when(units < 0).then(-key - 1).otherwise(key),
        magnitude % 2,
        units.is_not_null() & shaped,
        _num_moved(column, dtype, decimals),
        _num_stable,
        working,
    )


def _num_moved(column: str, dtype: pl.DataType, decimals: int | None) -> pl.Expr:
    """The last digit changed by one unit, away from or towards zero, whichever flips it."""
    value = pl.col(column)
    if dtype.is_float():
        assert decimals is not None  # noqa: S101 - carrier_kind found the decimals
        scale = 10**decimals
        units = (value * scale).round().cast(pl.Int64)
        moved = pl.when(units < 0).then(-((-units) ^ 1)).otherwise(units ^ 1)
        return moved.cast(pl.Float64).truediv(scale)
    last = value.str.slice(-1).cast(pl.Int64, strict=False)
    return pl.concat_str(value.str.head(-1), (last ^ 1).cast(pl.String))


def _num_stable(key: pl.Expr) -> pl.Expr:
    """The significant part a number's key stands for (``_num_cells``)."""
    negative = key < 0
    packed = pl.when(negative).then(-key - 1).otherwise(key)
    return pl.concat_str(
        pl.when(negative).then(pl.lit("-")).otherwise(pl.lit("")),
        (packed // _PLACES).cast(pl.String),
        pl.lit("e"),
        (packed % _PLACES).cast(pl.String),
    )


def _time_cells(column: str, dtype: pl.DataType, n: int) -> _Cells:
    """A typed timestamp is read as its text, a working column (``__t<n>``) computed once."""
    working: tuple[pl.Expr, ...] = ()
    text = pl.col(column)
    if isinstance(dtype, pl.Datetime):
        working = (text.dt.strftime("%Y-%m-%d %H:%M:%S").alias(f"__t{n}"),)
        text = pl.col(f"__t{n}")
    last = text.str.slice(-1).cast(pl.Int64, strict=False)
    usable = text.str.contains(_TIMESTAMP).fill_null(False)
    value = pl.col(column)
    if isinstance(dtype, pl.Datetime):
        seconds = value.dt.second()
        moved = value + pl.duration(seconds=pl.when(seconds % 2 == 0).then(1).otherwise(-1))
    else:
        moved = pl.concat_str(value.str.head(-1), (last ^ 1).cast(pl.String))
    return _Cells(text.str.head(-1), last % 2, usable, moved, working=working)


def _mask_cells(column: str, groups: str) -> _Cells:
    """Masked values, read by ``_MASKED``; ``groups`` is the working column of its groups."""
    text = pl.col(column)
    parts = pl.col(groups)
    head, tail = parts.struct.field("1"), parts.struct.field("3")
    tail_length = tail.str.len_chars()
    # An unmarked value shows the column's widest tail; a marked one hides its first char.
    widest_tail = tail_length.max()
    significant = pl.when(tail_length == widest_tail).then(tail.str.slice(1)).otherwise(tail)
    stable = pl.concat_str(
        head, pl.lit("|"), significant, pl.lit("|"), text.str.len_chars().cast(pl.String)
    )
    bit = (tail_length == widest_tail - 1).cast(pl.Int64)
    usable = tail.is_not_null() & (tail_length >= widest_tail - 1) & (widest_tail >= 2)
    # Only values of ``_MASKED``'s shape are flipped: one run of stars, then the tail, whose
    # first character is hidden too.
    moved = text.str.replace(r"\*[^*]", "**")
    return _Cells(
        stable, bit, usable, moved, working=(text.str.extract_groups(_MASKED).alias(groups),)
    )


@dataclass(frozen=True)
class _Shape:
    """Where every value of a masked column has its stars: ``head`` characters, ``stars``
    stars, ``tail`` characters (``138****5678``: 3, 4, 4)."""

    head: int
    stars: int
    tail: int


def _mask_shape(values: pl.Series) -> _Shape | None:
    """The shape all values of a masked column share, if they share one.

    A column of ASCII values masked to one length (phone numbers, ID numbers) has one; a
    column once marked has not (its marked values hide one more character). Those without
    one are read by ``_MASKED``.
    """
    if values.dtype != pl.String or values.null_count() == len(values):
        return None
    text = pl.col(values.name)
    found = (
        values.to_frame()
        .lazy()
        .select(
            text.str.len_chars().alias("n"),
            text.str.len_bytes().alias("bytes"),
            # A byte offset: the same as the character offset in the ASCII columns kept.
            text.str.find("*", literal=True).alias("at"),
            text.str.count_matches("*", literal=True).alias("stars"),
        )
        .select(
            pl.col("n").min().alias("n_lo"),
            pl.col("n").max().alias("n_hi"),
            pl.col("at").min().alias("at_lo"),
            pl.col("at").max().alias("at_hi"),
            pl.col("at").null_count().alias("at_nulls"),
            pl.col("n").null_count().alias("nulls"),
            pl.col("stars").min().alias("s_lo"),
            pl.col("stars").max().alias("s_hi"),
            (pl.col("bytes").sum() == pl.col("n").sum()).alias("ascii"),
        )
        .collect()
        .row(0, named=True)
    )
    length, at, stars = found["n_hi"], found["at_hi"], found["s_hi"]
    if (
        not found["ascii"]
        or found["n_lo"] != length
        or found["at_lo"] != at
        or found["at_nulls"] != found["nulls"]
        or found["s_lo"] != stars
        or length - at - stars < 1
    ):
        return None
    # One star at the same place in each and as many stars in each: one run if the run is
    # all stars in each.
    run = values.str.slice(at, stars)
    if int((run == "*" * stars).sum()) != len(values) - values.null_count():
        return None
    return _Shape(at, stars, length - at - stars)


def _shaped_mask_cells(column: str, shape: _Shape) -> _Cells:
    """``_mask_cells`` for a column of one shape: each value cut at the same places, so the
    same parts, bits and moves, without the regular expression (its head and tail hold no
    star, its tail is the widest)."""
    text = pl.col(column)
    length = shape.head + shape.stars + shape.tail
    stable = pl.concat_str(
        text.str.head(shape.head), pl.lit("|"), text.str.tail(shape.tail - 1), pl.lit(f"|{length}")
    )
    moved = pl.concat_str(
        text.str.head(shape.head), pl.lit("*" * (shape.stars + 1)), text.str.tail(shape.tail - 1)
    )
    usable = text.is_not_null() & pl.lit(shape.tail >= 2)
    return _Cells(stable, pl.lit(0, dtype=pl.Int64), usable, moved)


def _staged(frame: pl.LazyFrame, cells: Sequence[_Cells]) -> pl.LazyFrame:
    """The frame with the working columns of these cells beside it."""
    working = [w for c in cells for w in c.working]
    return frame.with_columns(working) if working else frame


def _cells(frame: pl.DataFrame, column: str, kind: Kind, n: int) -> _Cells:
    """Column ``column``, the ``n``-th carrier, as expressions over ``_staged``."""
    dtype = frame.schema[column]
    if kind == "num":
        decimals = _float_decimals(frame.get_column(column)) if dtype.is_float() else None
        return _num_cells(column, dtype, decimals, n)
    if kind == "time":
        return _time_cells(column, dtype, n)
    shape = _mask_shape(frame.get_column(column))
    return _mask_cells(column, f"__g{n}") if shape is None else _shaped_mask_cells(column, shape)


# -- embedding ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Embedded:
    frame: pl.DataFrame
    #: Carrier columns and their kind.
    carriers: dict[str, Kind]
    #: Values changed to carry the mark, per column.
    changed: dict[str, int]


def _flipped(values: pl.Series, cells: _Cells, flags: pl.Series) -> pl.Series:
    """The column with the values ``flags`` selects moved to the other bit.

    Only the selected values are computed (one in ``2 * GAMMA[kind]``) and set in place.
    """
    rows = flags.arg_true()
    if rows.is_empty():
        return values
    moved = values.gather(rows).to_frame().select(cells.moved).to_series()
    # A copy: the caller's frame keeps its values.
    return values.clone().scatter(rows, moved)


def _usable(cells: _Cells, kind: Kind) -> pl.Expr:
    if kind == "mask":
        # Only values showing the full tail can hide one more character.
        return cells.usable & (cells.bit == 0)
    return cells.usable


def embed(
    frame: pl.DataFrame,
    key: str,
    transfer_id: str,
    *,
    columns: Sequence[str] | None = None,
    masked: Sequence[str] = (),
) -> Embedded:
    """Mark ``frame`` for one transfer.

    ``columns`` limits the carriers (default: every column whose values fit a kind);
    ``masked`` are the columns the policy masked, the only ones that carry a ``mask`` mark.
    """
    mark = transfer_mask(key, transfer_id)
    carriers: dict[str, Kind] = {}
    for column in columns if columns is not None else frame.columns:
        kind = carrier_kind(frame.get_column(column))
        if kind is not None and (kind != "mask" or column in masked):
            carriers[column] = kind
    if not carriers:
        return Embedded(frame, {}, {})
    # A text column that repeats its values is marked once per distinct value (each value's
    # mark depends on it alone, and on column-wide facts its distinct values share).
    texts = [c for c in carriers if frame.schema[c] == pl.String]
    counts = frame.select(pl.col(texts).approx_n_unique()).row(0) if texts else ()
    repeating = [
        c for c, n in zip(texts, counts, strict=True) if n <= _DISTINCT_SHARE * frame.height
    ]
    carried: dict[str, pl.Series] = {}
    changed: dict[str, int] = {}
    # The others two at a time, each in a thread of its own (Polars releases the GIL, and
    # one column's hashes keep one core busy); never all at once: their working columns are
    # as large as the table.
    alone = [c for c in carriers if c not in repeating]
    with ThreadPoolExecutor(max_workers=min(_COLUMNS_AT_ONCE, max(1, len(alone)))) as pool:
        for marked, flipped in pool.map(
            lambda c: _marked(frame, {c: carriers[c]}, key, mark), alone
        ):
            carried |= marked
            changed |= flipped
    # Side by side: the columns' distinct values counted, then their marks joined back.
    counted = pl.collect_all(
        [frame.lazy().group_by(c).agg(pl.len().alias("__rows")) for c in repeating],
        engine="in-memory",
    )
    tables = []
    for column, values in zip(repeating, counted, strict=True):
        marked, flipped = _marked(values, {column: carriers[column]}, key, mark, "__rows")
        changed |= flipped
        tables.append(values.select(column, marked[column].alias("__marked")).lazy())
    joined = pl.collect_all(
        [
            frame.lazy()
            .select(column)
            .join(table, on=column, how="left", maintain_order="left")
            .select(pl.col("__marked").alias(column))
            for column, table in zip(repeating, tables, strict=True)
        ],
        engine="in-memory",
    )
    carried |= {column: f.get_column(column) for column, f in zip(repeating, joined, strict=True)}
    return Embedded(
        frame.with_columns(carried[c] for c in carriers),
        dict(carriers),
        {c: changed[c] for c in carriers},
    )


class Marker:
    """``embed`` one column at a time, for ``deidentify.apply_policy(then=...)``, which hands
    over each column as soon as it is treated.

    A column's mark depends on that column alone, so ``embedded`` is what ``embed`` gives for
    the whole table (``columns`` and ``masked`` as there).
    """

    def __init__(
        self,
        key: str,
        transfer_id: str,
        *,
        columns: Sequence[str] | None = None,
        masked: Sequence[str] = (),
    ) -> None:
        self.key = key
        self.transfer_id = transfer_id
        self.columns = None if columns is None else frozenset(columns)
        self.masked = frozenset(masked)
        self._carriers: dict[str, Kind] = {}
        self._changed: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, column: pl.Series) -> pl.Series:
        if self.columns is not None and column.name not in self.columns:
            return column
        masked = [column.name] if column.name in self.masked else []
        marked = embed(column.to_frame(), self.key, self.transfer_id, masked=masked)
        with self._lock:
            self._carriers |= marked.carriers
            self._changed |= marked.changed
        return marked.frame.to_series()

    def embedded(self, frame: pl.DataFrame) -> Embedded:
        """``frame``, made of the columns this marker returned, as ``embed`` describes it."""
        order = [c for c in frame.columns if c in self._carriers]
        return Embedded(
            frame, {c: self._carriers[c] for c in order}, {c: self._changed[c] for c in order}
        )


def _marked(
    frame: pl.DataFrame,
    carriers: Mapping[str, Kind],
    key: str,
    mark: int,
    rows: str | None = None,
) -> tuple[dict[str, pl.Series], dict[str, int]]:
    """The carrier columns of ``frame`` marked, and how many values each changed.

    ``rows`` names a column of how many rows each row of ``frame`` stands for (its distinct
    values, counted); by default each stands for itself.
    """
    # The carriers' working columns, then their parts, bits and usable flags, in one query;
    # then the flags that say which values change. The hashes are computed eagerly: the
    # streaming engine is several times slower at the window that spreads a distinct value's
    # hash.
    names = list(carriers)
    cells = {c: _cells(frame, c, carriers[c], n) for n, c in enumerate(names)}
    parts = (
        _staged(frame.lazy(), list(cells.values()))
        .select(
            *(cells[c].part.alias(f"__s{n}") for n, c in enumerate(names)),
            *(cells[c].bit.alias(f"__b{n}") for n, c in enumerate(names)),
            *(_usable(cells[c], carriers[c]).alias(f"__u{n}") for n, c in enumerate(names)),
        )
        .collect()
    )
    stables = {f"__s{n}": (f"__h{n}", carriers[c], cells[c].stable) for n, c in enumerate(names)}
    flags = parts.with_columns(_hashes(parts, stables, key)).select(
        (
            pl.col(f"__u{n}")
            & _selected(pl.col(f"__h{n}"), carriers[c])
            & (pl.col(f"__b{n}") != _bit(pl.col(f"__h{n}"), mark))
        )
        .fill_null(False)
        .alias(c)
        for n, c in enumerate(names)
    )
    del parts
    marked = {c: _flipped(frame.get_column(c), cells[c], flags.get_column(c)) for c in names}
    weight = pl.lit(1) if rows is None else frame.get_column(rows)
    changed = flags.select((pl.col(names).cast(pl.Int64) * weight).sum()).row(0, named=True)
    return marked, {c: int(n) for c, n in changed.items()}


# -- detection ---------------------------------------------------------------------------


def observed_cells(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """Every distinct marked-position value of each carrier column: its keyed hash and bit.

    A value seen with both bits in one column (the same significant part, different last
    digits) is kept with ``consistent`` false: it counts against every candidate.
    """
    carriers: dict[str, Kind] = {}
    for column in frame.columns:
        kind = carrier_kind(frame.get_column(column))
        if kind is not None:
            carriers[column] = kind
    cells_of = {c: _cells(frame, c, kind, n) for n, (c, kind) in enumerate(carriers.items())}
    staged = _staged(frame.lazy(), list(cells_of.values()))
    parts = []
    for column, kind in carriers.items():
        cells = cells_of[column]
        # Distinct significant parts first, then one keyed hash each: a leaked file repeats
        # many (masked e-mails), and the hash is the cost.
        h = pl.col("h")
        part = (
            staged.select(
                pl.lit(column).alias("column"),
                cells.part.alias("part"),
                cells.bit.alias("bit"),
                cells.usable.fill_null(False).alias("usable"),
            )
            .filter(pl.col("usable"))
            .group_by("column", "part")
            .agg(pl.col("bit").min().alias("bit"), pl.col("bit").max().alias("hi"))
            .with_columns(_keyed(cells.stable(pl.col("part")), kind, key).alias("h"))
            .filter(_selected(h, kind).fill_null(False) & h.is_not_null())
            .select("column", "h", "bit", (pl.col("bit") == pl.col("hi")).alias("consistent"))
        )
        parts.append(part)
    if not parts:
        return pl.DataFrame(
            schema={"column": pl.String, "h": pl.Int64, "bit": pl.Int64, "consistent": pl.Boolean}
        )
    return pl.concat(parts).collect()


@dataclass(frozen=True)
class Score:
    transfer_id: str
    #: Carrier values tested, and how many showed this transfer's bit, over the columns
    #: that agree with it (a column not marked for it agrees half the time and is left out).
    cells: int
    agreeing: int
    columns: tuple[str, ...]
    #: Upper bound on the chance that data not from this transfer agrees this well:
    #: Hoeffding's bound, times every subset of columns and every candidate tried.
    false_match: float

    @property
    def agreement(self) -> float:
        return self.agreeing / self.cells if self.cells else 0.0

    @property
    def confidence(self) -> float:
        return round(1.0 - self.false_match, 6)

    @property
    def matches(self) -> bool:
        return (
            self.cells >= MIN_CELLS
            and self.agreement >= MIN_AGREEMENT
            and self.false_match <= MAX_FALSE_MATCH
        )


def _log_hoeffding(cells: int, agreeing: int) -> float:
    excess = agreeing / cells - 0.5 if cells else 0.0
    return -2 * cells * excess * excess if excess > 0 else 0.0


def score(cells: pl.DataFrame, masks: Mapping[str, int], candidates: int) -> list[Score]:
    """How well the observed bits agree with each transfer's, best first."""
    if not masks or cells.is_empty():
        return [Score(t, 0, 0, (), 1.0) for t in masks]
    per_column = (
        cells.group_by("column")
        .agg(
            pl.len().alias("__n"),
            *[
                ((_bit(pl.col("h"), mark) == pl.col("bit")) & pl.col("consistent"))
                .sum()
                .alias(transfer_id)
                for transfer_id, mark in masks.items()
            ],
        )
        .sort("column")
    )
    names = per_column.get_column("column").to_list()
    sizes = per_column.get_column("__n").to_list()
    # Union bound over the 2^m subsets of columns a detector may pool, and the candidates.
    penalty = len(names) * math.log(2) + math.log(max(1, candidates))
    scores = []
    for transfer_id in masks:
        agreeing = per_column.get_column(transfer_id).to_list()
        chosen = [
            i
            for i, (n, a) in enumerate(zip(sizes, agreeing, strict=True))
            if a >= MIN_AGREEMENT * n
        ]
        n = sum(sizes[i] for i in chosen)
        a = sum(int(agreeing[i]) for i in chosen)
        log_bound = _log_hoeffding(n, a) + penalty
        false_match = 1.0 if log_bound >= 0 else math.exp(log_bound)
        scores.append(Score(transfer_id, n, a, tuple(names[i] for i in chosen), false_match))
    scores.sort(key=lambda s: (s.false_match, -s.agreement))
    return scores
