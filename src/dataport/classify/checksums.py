"""Check digits and field checks of Chinese and international identifiers, as Polars expressions.

Every function takes a string expression (a column, or ``pl.element()`` inside ``list.eval``)
and returns an expression evaluated for all rows at once; nothing here runs Python per value.
Inputs of the wrong shape yield ``False`` (or null for computed values), never an error.
The hottest checks (Luhn, GB 32100, ISO 3779) run as NumPy kernels over a whole batch of
values at once (``map_batches``): arithmetic over a byte matrix instead of one string slice
per position.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

#: Province-level codes of GB/T 2260 that open a resident ID (71 Taiwan, 81/82 Hong Kong/Macau
#: and 83 Taiwan residence permits). Only the province is checked: county codes are abolished
#: and renumbered over the years while the IDs issued under them stay valid for life.
PROVINCE_CODES: frozenset[str] = frozenset(
    str(code)
    for code in (
        *range(11, 16),  # North China
        *range(21, 24),  # North-east
        *range(31, 38),  # East
        *range(41, 47),  # Central and South
        *range(50, 55),  # South-west
        *range(61, 66),  # North-west
        71,  # Taiwan
        81,  # Hong Kong residence permits
        82,  # Macau residence permits
        83,  # Taiwan residence permits
    )
)
#: Provinces where the mainland's own authorities issue documents.
MAINLAND_PROVINCE_CODES: frozenset[str] = PROVINCE_CODES - {"71", "81", "82", "83"}
#: Residence permits for Hong Kong, Macau and Taiwan residents carry a whole-region prefix.
_PERMIT_PROVINCES = ["81", "82", "83"]

EARLIEST_BIRTH = dt.date(1900, 1, 1)

_MOD11_CHECK = {i: "X" if i == 10 else str(i) for i in range(11)}


def _char_at(value: pl.Expr, index: int) -> pl.Expr:
    return value.str.slice(index, 1)


def _digit_at(value: pl.Expr, index: int) -> pl.Expr:
    return _char_at(value, index).str.to_integer(strict=False)


def _lookup(char: pl.Expr, table: Mapping[str, int]) -> pl.Expr:
    return char.replace_strict(dict(table), default=None, return_dtype=pl.Int64)


_Kernel = Callable[[np.ndarray], np.ndarray]


def _fixed_width_kernel(width: int, kernel: _Kernel) -> Callable[[pl.Series], pl.Series]:
    """Run ``kernel`` on the values exactly ``width`` bytes long, as a (n, width) byte matrix
    (``ascii_rows``). Values of another length (or null) come out ``False``; a value with
    characters outside ASCII reaches the kernel as bytes no table knows, and fails alone.
    """

    def run(values: pl.Series) -> pl.Series:
        matrix, fits = ascii_rows(values, width)
        result = np.zeros(len(values), dtype=bool)
        if len(matrix):
            result[fits] = kernel(matrix)
        return pl.Series(values.name, result, dtype=pl.Boolean)

    return run


def _table(mapping: Mapping[str, int]) -> np.ndarray:
    """A 256-entry lookup from byte to value, -1 for bytes outside ``mapping``."""
    table = np.full(256, -1, dtype=np.int64)
    for char, value in mapping.items():
        table[ord(char)] = value
    return table


def _weighted_check(
    values: np.ndarray, weights: tuple[int, ...], modulus: int
) -> tuple[np.ndarray, np.ndarray]:
    """Rows where every character has a value, and the weighted sum mod ``modulus``."""
    known = rows_clear(values < 0)
    total: np.ndarray = digit_sum(values, weights) % modulus
    return known, total


def mod11_2_check_char(first17: pl.Expr) -> pl.Expr:
    """ISO 7064 MOD 11-2 check character (``0``–``9`` or ``X``) of 17 digits, as in GB 11643."""
    # The weights 2^(18-i) mod 11 are 2·13^(17-i) mod 11 (13 ≡ 2), so the weighted sum is
    # 2·int(first17, base 13) mod 11: one parse instead of seventeen slices. 13^17 < 2^63.
    residue = first17.str.to_integer(base=13, strict=False) % 11
    return ((23 - 2 * residue) % 11).replace_strict(
        _MOD11_CHECK, default=None, return_dtype=pl.String
    )


def birth_date_valid(born: pl.Expr, *, latest: dt.date) -> pl.Expr:
    """Whether a parsed birth date lies between 1900-01-01 and ``latest``."""
    return born.is_between(pl.lit(EARLIEST_BIRTH), pl.lit(latest)).fill_null(False)


def resident_id_birth_date(value: pl.Expr) -> pl.Expr:
    """Birth date in an 18-digit or legacy 15-digit resident ID, or null if it is no date."""
    length = value.str.len_chars()
    digits = (
        pl.when(length == 18)
        .then(value.str.slice(6, 8))
        # Legacy 15-digit numbers (GB 11643-1989) were issued to people born in the 1900s.
        .when(length == 15)
        .then(pl.concat_str(pl.lit("19"), value.str.slice(6, 6)))
    )
    return digits.str.strptime(pl.Date, "%Y%m%d", strict=False)


def region_plausible(value: pl.Expr) -> pl.Expr:
    """Whether the first six digits open with a real province, and permits with a whole region."""
    province = value.str.slice(0, 2)
    whole_region = value.str.slice(2, 4) == "0000"
    return province.is_in(list(PROVINCE_CODES)) & (
        ~province.is_in(_PERMIT_PROVINCES) | whole_region
    )


def yyyymmdd_valid(number: pl.Expr, *, latest: dt.date) -> pl.Expr:
    """Whether an integer ``YYYYMMDD`` is a real date between 1900-01-01 and ``latest``.

    Integer arithmetic over the materialised numbers (a NumPy kernel): several times cheaper
    than parsing dates, and the expression giving the numbers is evaluated once.
    """

    def run(values: pl.Series) -> pl.Series:
        known = values.is_not_null().to_numpy()
        number = values.fill_null(0).cast(pl.Int64).to_numpy()
        return pl.Series(values.name, known & _yyyymmdd_ok(number, latest), dtype=pl.Boolean)

    return number.map_batches(run, return_dtype=pl.Boolean, is_elementwise=True).fill_null(False)


def _yyyymmdd_ok(number: np.ndarray, latest: dt.date) -> np.ndarray:
    earliest = EARLIEST_BIRTH.year * 10_000 + EARLIEST_BIRTH.month * 100 + EARLIEST_BIRTH.day
    last = latest.year * 10_000 + latest.month * 100 + latest.day
    year, month_day = number // 10_000, number % 10_000
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    real_day = _MONTH_DAY_TABLE[np.clip(month_day, 0, 1299)] & ((month_day != 229) | leap)
    ok: np.ndarray = (number >= earliest) & (number <= last) & real_day
    return ok


#: Every MMDD of a leap year; 29 February is checked against the year separately.
_MONTH_DAYS = [
    month * 100 + day
    for month, days in enumerate((31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31), start=1)
    for day in range(1, days + 1)
]
_MONTH_DAY_TABLE = np.zeros(1300, dtype=bool)
_MONTH_DAY_TABLE[_MONTH_DAYS] = True


_SeriesKernel = Callable[[pl.Series], pl.Series]
_POWERS_8 = tuple(10**power for power in range(7, -1, -1))
_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_PROVINCE_TABLE = np.zeros(100, dtype=bool)
_PROVINCE_TABLE[[int(code) for code in PROVINCE_CODES]] = True
_PERMIT_TABLE = np.zeros(100, dtype=bool)
_PERMIT_TABLE[[int(code) for code in _PERMIT_PROVINCES]] = True


def ascii_rows(values: pl.Series, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The values exactly ``width`` bytes long as an (n, width) matrix of their bytes, and the
    mask of those values among ``values`` (null and other lengths are left out).

    The chosen values are joined into one buffer and viewed as a matrix: no Python per value.
    A character outside ASCII shows as bytes of 128 and above, which no check accepts.
    """
    mask = (values.str.len_bytes() == width).fill_null(False).to_numpy()
    if not mask.any():
        return np.empty((0, width), dtype=np.uint8), mask
    chosen = values if mask.all() else values.filter(pl.Series(mask))
    # The joined bytes are read in Arrow's buffer where Polars wrote them: no Python string
    # (making one and encoding it again took 8 of 11 ms for 200,000 IDs). The oldest Arrow
    # layout Polars writes is a large string: 64-bit offsets, then the bytes.
    joined = chosen.str.join("").to_arrow(compat_level=pl.CompatLevel.oldest())
    if not pa.types.is_large_string(joined.type):  # pragma: no cover - Polars' own contract
        raise TypeError(f"Polars gave {joined.type} for its oldest string layout")
    _, offsets, data = joined.buffers()
    start, stop = np.frombuffer(offsets, dtype=np.int64)[joined.offset : joined.offset + 2]
    content = np.frombuffer(data, dtype=np.uint8)[start:stop]
    return content.reshape(-1, width), mask


def rows_clear(flags: np.ndarray) -> np.ndarray:
    """Per row of a 2-D boolean matrix, whether no element is set.

    ``flags.all(axis=1)`` walks each short row on its own; the few set elements of a whole
    flat matrix are found at once, which is several times faster on narrow rows.
    """
    clear = np.ones(flags.shape[0], dtype=bool)
    width = max(1, flags.shape[1])
    clear[np.flatnonzero(np.ascontiguousarray(flags).ravel()) // width] = False
    return clear


def digit_sum(digits: np.ndarray, weights: Sequence[int]) -> np.ndarray:
    """Per row, the weighted sum of a matrix's columns, one column at a time (which beats an
    integer matrix product on narrow rows), as 64-bit integers.

    A byte matrix whose sums cannot exceed 32 bits (255 times the weights) is summed in 32
    bits: half the memory traffic of 64, and exact all the same.
    """
    narrow = digits.dtype == np.uint8 and 255 * sum(abs(w) for w in weights) < 2**31
    kind: type[np.signedinteger[Any]] = np.int32 if narrow else np.int64
    total = np.zeros(digits.shape[0], dtype=kind)
    for index, weight in enumerate(weights):
        if weight:
            # The weight's type sets the product's: bytes times an int32 are int32.
            total += digits[:, index] * kind(weight)
    return total.astype(np.int64, copy=False)


def _digit_matrix(values: pl.Series, width: int, *, check_x: bool) -> tuple[np.ndarray, np.ndarray]:
    """The values of ``width`` ASCII digits (the last may be ``X`` with ``check_x``) as an
    (n, width) matrix of digit values (``X`` as 10), and the mask of those values.

    Bytes, not a pattern: a value of ``width`` bytes is ``width`` digits only if every byte
    is one (any other character, ASCII or not, has a byte that is no digit).
    """
    matrix, fits = ascii_rows(values, width)
    digits = matrix - np.uint8(ord("0"))
    last = digits[:, -1]
    if check_x:
        # "X" - "0" is 40: mapped to 10, a value no digit has.
        last = np.where(last == ord("X") - ord("0"), np.uint8(10), last)
    numeric = rows_clear(digits[:, :-1] > 9) & (last <= (10 if check_x else 9))
    if not numeric.all():
        digits, last = digits[numeric], last[numeric]
        fits = fits.copy()
        fits[fits] = numeric
    if check_x:
        digits = digits.copy()
        digits[:, -1] = last
    return digits, fits


def _region_and_birth_ok(digits: np.ndarray, born: np.ndarray, latest: dt.date) -> np.ndarray:
    province = digits[:, 0].astype(np.int64) * 10 + digits[:, 1]
    whole_region = (digits[:, 2] | digits[:, 3] | digits[:, 4] | digits[:, 5]) == 0
    region = _PROVINCE_TABLE[province] & (~_PERMIT_TABLE[province] | whole_region)
    ok: np.ndarray = region & _yyyymmdd_ok(born, latest)
    return ok


def _resident_id_kernel(latest: dt.date, *, current: bool, legacy: bool) -> _SeriesKernel:
    """Region, birth date and (18-digit form) MOD 11-2 check over a byte matrix per form."""

    def run(values: pl.Series) -> pl.Series:
        result = np.zeros(len(values), dtype=bool)
        if current:
            digits, fits = _digit_matrix(values, 18, check_x=True)
            if len(digits):
                check = (12 - digit_sum(digits, _ID_WEIGHTS) % 11) % 11
                born = digit_sum(digits[:, 6:14], _POWERS_8)
                ok = (check == digits[:, 17]) & _region_and_birth_ok(digits, born, latest)
                result[fits] = ok
        if legacy:
            digits, fits = _digit_matrix(values, 15, check_x=False)
            if len(digits):
                # Legacy numbers were issued to people born in the 1900s.
                born = 19_000_000 + digit_sum(digits[:, 6:12], _POWERS_8[2:])
                result[fits] |= _region_and_birth_ok(digits, born, latest)
        return pl.Series(values.name, result, dtype=pl.Boolean)

    return run


def resident_id_birth_number(values: pl.Series) -> pl.Series:
    """``YYYYMMDD`` of the birth date digits of 18- and 15-digit IDs (the latter born in the
    1900s) as integers; null for anything else. Validity is not checked."""
    born = np.zeros(len(values), dtype=np.int64)
    known = np.zeros(len(values), dtype=bool)
    for width, first, count, base in ((18, 6, 8, 0), (15, 6, 6, 19_000_000)):
        matrix, fits = ascii_rows(values, width)
        if not len(matrix):
            continue
        digits = matrix[:, first : first + count] - np.uint8(ord("0"))
        numeric = rows_clear(digits > 9)
        at = np.flatnonzero(fits)
        born[at] = base + digit_sum(digits, _POWERS_8[8 - count :])
        known[at] = numeric
    return pl.Series(values.name, born, dtype=pl.Int64).set(pl.Series(~known), None)


def _by_kernel(value: pl.Expr, kernel: _SeriesKernel) -> pl.Expr:
    return value.map_batches(kernel, return_dtype=pl.Boolean, is_elementwise=True).fill_null(False)


def is_resident_id(value: pl.Expr, *, latest: dt.date) -> pl.Expr:
    """GB 11643-1999 citizen ID: 18 chars, MOD 11-2 check, real birth date, plausible region."""
    return _by_kernel(value, _resident_id_kernel(latest, current=True, legacy=False))


def is_legacy_resident_id(value: pl.Expr, *, latest: dt.date) -> pl.Expr:
    """GB 11643-1989 15-digit ID: no check digit, so region and birth date carry the weight."""
    return _by_kernel(value, _resident_id_kernel(latest, current=False, legacy=True))


def is_any_resident_id(value: pl.Expr, *, latest: dt.date) -> pl.Expr:
    """Either form of resident ID (``is_resident_id`` or ``is_legacy_resident_id``), one pass."""
    return _by_kernel(value, _resident_id_kernel(latest, current=True, legacy=True))


#: Luhn's doubled digit, 2d or 2d - 9 above 9, by digit (0 for bytes that are no digit).
_LUHN_DOUBLED = np.zeros(256, dtype=np.uint8)
_LUHN_DOUBLED[:10] = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9]


def _luhn_kernel(max_length: int) -> _SeriesKernel:
    def run(values: pl.Series) -> pl.Series:
        # Values of one length at a time, as a byte matrix: a table lookup and a sum per digit
        # position instead of one string slice (or one division) per digit and value.
        lengths = values.str.len_bytes().fill_null(0)
        result = np.zeros(len(values), dtype=bool)
        present = lengths.filter((lengths >= 2) & (lengths <= max_length)).unique()
        for width in present.to_list():
            matrix, fits = ascii_rows(values, width)
            # Any other byte (a letter, a sign, part of a non-ASCII character) fails.
            digits = matrix - np.uint8(ord("0"))
            numeric = rows_clear(digits > 9)
            # At most 19 bytes of at most 255: 16 bits hold the sum.
            total = np.zeros(len(digits), dtype=np.uint16)
            for position in range(width):
                column = digits[:, width - 1 - position]
                # From the right: the check digit as it is, then every second digit doubled.
                total += _LUHN_DOUBLED[column] if position % 2 else column
            result[fits] = numeric & (total % 10 == 0)
        return pl.Series(values.name, result, dtype=pl.Boolean)

    return run


def luhn_valid(value: pl.Expr, *, max_length: int = 19) -> pl.Expr:
    """Luhn (ISO/IEC 7812-1) check over a digit string of up to ``max_length`` digits."""
    if max_length > 19:
        raise ValueError("Luhn numbers longer than 19 digits do not fit in 64 bits")
    return value.map_batches(
        _luhn_kernel(max_length), return_dtype=pl.Boolean, is_elementwise=True
    ).fill_null(False)


#: GB 32100-2015 character set: digits and capitals without I, O, S, V, Z.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
_USCC_CHAR = dict(enumerate(USCC_ALPHABET))
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))


def uscc_check_char(value: pl.Expr) -> pl.Expr:
    """GB 32100 check character (mod 31) of the first 17 characters of a code."""
    total: pl.Expr = pl.lit(0, dtype=pl.Int64)
    for index, weight in enumerate(_USCC_WEIGHTS):
        total = total + weight * _lookup(_char_at(value, index), _USCC_VALUE)
    return ((31 - total % 31) % 31).replace_strict(_USCC_CHAR, default=None, return_dtype=pl.String)


_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_CHECK = {i: "X" if i == 10 else "0" if i == 11 else str(i) for i in range(1, 12)}


def org_code_check_char(body: pl.Expr) -> pl.Expr:
    """GB 11714 organisation-code check character over an 8-character body."""
    total: pl.Expr = pl.lit(0, dtype=pl.Int64)
    for index, weight in enumerate(_ORG_WEIGHTS):
        # Base 36 maps 0-9 to 0-9 and A-Z to 10-35, the standard's character values.
        total = total + weight * _char_at(body, index).str.to_integer(base=36, strict=False)
    return (11 - total % 11).replace_strict(_ORG_CHECK, default=None, return_dtype=pl.String)


def is_org_code(value: pl.Expr) -> pl.Expr:
    """GB 11714 organisation code: 8 digits or capitals and a check character (hyphen removed)."""
    shape = value.str.contains(r"^[0-9A-Z]{8}[0-9X]$")
    check = org_code_check_char(value.str.slice(0, 8)) == _char_at(value, 8)
    return (shape & check).fill_null(False)


_USCC_TABLE = _table(_USCC_VALUE)


def _uscc_check_ok(matrix: np.ndarray) -> np.ndarray:
    values = _USCC_TABLE[matrix]
    known, total = _weighted_check(values, _USCC_WEIGHTS, 31)
    ok: np.ndarray = known & ((31 - total) % 31 == values[:, 17])
    return ok


def is_uscc(value: pl.Expr) -> pl.Expr:
    """GB 32100 unified social credit code: authority, entity type, region digits, mod-31 check."""
    # Authority codes 1-9, A, G, J, N, Y; entity type 1-9; six-digit region; then the
    # organisation code over the full alphabet. Codes opening with a letter are valid too.
    shape = value.str.contains(r"^[1-9AGJNY][1-9]\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
    check = value.map_batches(
        _fixed_width_kernel(18, _uscc_check_ok), return_dtype=pl.Boolean, is_elementwise=True
    )
    return (shape & check).fill_null(False)


_VIN_VALUE = {str(d): d for d in range(10)} | {
    c: v
    for chars, v0 in (("ABCDEFGH", 1), ("JKLMN", 1), ("P", 7), ("R", 9), ("STUVWXYZ", 2))
    for v, c in enumerate(chars, start=v0)
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_check_char(value: pl.Expr) -> pl.Expr:
    """ISO 3779 check character (position 9) of a 17-character VIN, required by GB 16735."""
    total: pl.Expr = pl.lit(0, dtype=pl.Int64)
    for index, weight in enumerate(_VIN_WEIGHTS):
        if weight:
            total = total + weight * _lookup(_char_at(value, index), _VIN_VALUE)
    return (total % 11).replace_strict(_MOD11_CHECK, default=None, return_dtype=pl.String)


_VIN_TABLE = _table(_VIN_VALUE)
_MOD11_TABLE = _table({"X": 10} | {str(d): d for d in range(10)})


def _vin_check_ok(matrix: np.ndarray) -> np.ndarray:
    values = _VIN_TABLE[matrix]
    known, total = _weighted_check(values, _VIN_WEIGHTS, 11)
    ok: np.ndarray = known & (total == _MOD11_TABLE[matrix[:, 8]])
    return ok


def is_vin(value: pl.Expr) -> pl.Expr:
    """17 characters without I, O, Q, at least one letter, and a correct check character."""
    shape = value.str.contains(r"^[A-HJ-NPR-Z0-9]{17}$") & value.str.contains(r"[A-Z]")
    check = value.map_batches(
        _fixed_width_kernel(17, _vin_check_ok), return_dtype=pl.Boolean, is_elementwise=True
    )
    return (shape & check).fill_null(False)


_FPR_OLD_WEIGHTS = (7, 3, 1)


def is_foreigner_permanent_id(value: pl.Expr, *, latest: dt.date) -> pl.Expr:
    """Foreigner permanent residence ID: 2023 18-digit form or the 15-character form before it."""
    # 2023 form: 9, province, ISO 3166 numeric nationality, YYYYMMDD, sequence, MOD 11-2 check.
    new_shape = value.str.contains(r"^9\d{16}[\dX]$")
    new_check = mod11_2_check_char(value.str.slice(0, 17)) == _char_at(value, 17)
    new_born = birth_date_valid(
        value.str.slice(6, 8).str.strptime(pl.Date, "%Y%m%d", strict=False), latest=latest
    )
    new_ok = (
        new_shape
        & new_check
        & new_born
        & value.str.slice(1, 2).is_in(list(MAINLAND_PROVINCE_CODES))
        & value.str.slice(3, 3).str.to_integer(strict=False).is_between(4, 894)
    )
    # Older form: ISO alpha-3 nationality, 4-digit region, YYMMDD, sequence, 7-3-1 check mod 10
    # with letters valued A=10 … Z=35.
    old_shape = value.str.contains(r"^[A-Z]{3}\d{12}$")
    total: pl.Expr = pl.lit(0, dtype=pl.Int64)
    for index in range(14):
        char_value = _char_at(value, index).str.to_integer(base=36, strict=False)
        total = total + _FPR_OLD_WEIGHTS[index % 3] * char_value
    old_check = (total % 10) == _digit_at(value, 14)
    old_born = value.str.slice(7, 6).str.strptime(pl.Date, "%y%m%d", strict=False).is_not_null()
    old_ok = old_shape & old_check & old_born
    return (new_ok | old_ok).fill_null(False)
