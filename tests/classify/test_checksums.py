"""The vectorised checksums agree with python-stdnum and with the standards' own algorithms."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import stdnum
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import imei as std_imei
from stdnum import luhn as std_luhn
from stdnum.cn import ric as std_ric
from stdnum.cn import uscc as std_uscc

from dataport.classify import checksums
from tests.classify import generators as gen

LATEST = dt.date(2025, 6, 1)
DIGITS = "0123456789"


def evaluate(expr_of: object, values: list[str]) -> list[object]:
    """Apply an expression builder to a list of strings in one vectorised call."""
    assert callable(expr_of)
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    return frame.select(expr_of(pl.col("v")).alias("out"))["out"].to_list()


def stdnum_regions() -> list[str]:
    """Division codes from python-stdnum's table, for IDs that python-stdnum itself accepts."""
    table = Path(stdnum.__file__).parent / "cn" / "loc.dat"
    codes, province = [], ""
    # Two-digit province lines, each followed by indented four-digit county lines.
    for line in table.read_text(encoding="utf-8").splitlines():
        if line[:2].isdigit():
            province = line[:2]
        elif line.startswith("  ") and line[2:6].isdigit():
            codes.append(province + line[2:6])
    assert len(codes) > 3000
    return codes[::25]


REGIONS = stdnum_regions()


# ----- GB 11643 resident IDs ----------------------------------------------------------------------


@given(st.lists(st.text(DIGITS, min_size=17, max_size=17), min_size=1, max_size=40))
def test_mod11_2_check_char_matches_stdnum(bodies: list[str]) -> None:
    expected = [std_ric.calc_check_digit(b + "0") for b in bodies]
    assert evaluate(checksums.mod11_2_check_char, bodies) == expected
    assert expected == [gen.mod11_2(b) for b in bodies]


def oracle_resident_id(number: str) -> bool:
    """python-stdnum's checksum and date checks, plus the province-level region rule."""
    if len(number) != 18 or not number[:17].isdigit() or number[-1] not in DIGITS + "X":
        return False
    try:
        born = std_ric.get_birth_date(number)
    except stdnum.exceptions.ValidationError:
        return False
    province = number[:2]
    region_ok = province in checksums.PROVINCE_CODES and (
        province not in {"81", "82", "83"} or number[2:6] == "0000"
    )
    return (
        std_ric.calc_check_digit(number) == number[-1]
        and checksums.EARLIEST_BIRTH <= born <= LATEST
        and region_ok
    )


@st.composite
def id_like(draw: st.DrawFn) -> str:
    """Strings shaped like IDs, valid or broken in one part at a time."""
    region = draw(
        st.sampled_from([*gen.STDNUM_REGIONS, *gen.OTHER_REGIONS])
        | st.text(DIGITS, min_size=6, max_size=6)
    )
    born = draw(
        st.text(DIGITS, min_size=8, max_size=8)
        | st.dates(dt.date(1880, 1, 1), dt.date(2030, 12, 31)).map(lambda d: f"{d:%Y%m%d}")
    )
    body = region + born + draw(st.text(DIGITS, min_size=3, max_size=3))
    check = draw(st.just(std_ric.calc_check_digit(body + "0")) | st.sampled_from(DIGITS + "X"))
    return body + check


@given(st.lists(id_like(), min_size=1, max_size=40))
def test_resident_id_matches_the_oracle(numbers: list[str]) -> None:
    got = evaluate(lambda v: checksums.is_resident_id(v, latest=LATEST), numbers)
    assert got == [oracle_resident_id(n) for n in numbers]


def test_every_id_stdnum_accepts_is_accepted() -> None:
    rng = gen.seeded(17)
    numbers = [
        gen.resident_id(rng, region=rng.choice(REGIONS), start=dt.date(1900, 1, 1), end=LATEST)
        for _ in range(5000)
    ]
    accepted_by_stdnum = [n for n in numbers if std_ric.is_valid(n)]
    # Many sampled division codes were in use at the sampled birth date.
    assert len(accepted_by_stdnum) > 1000
    assert all(evaluate(lambda v: checksums.is_resident_id(v, latest=LATEST), accepted_by_stdnum))


def test_faker_ids_with_codes_stdnum_rejects_are_still_valid() -> None:
    from faker import Faker

    fake = Faker("zh_CN")
    fake.seed_instance(11)
    numbers = [fake.ssn() for _ in range(500)]
    rejected_by_stdnum = [n for n in numbers if not std_ric.is_valid(n)]
    # The trap is real: abolished and whole-province codes that python-stdnum refuses.
    assert len(rejected_by_stdnum) > 10
    assert all(evaluate(lambda v: checksums.is_resident_id(v, latest=LATEST), numbers))


def test_permit_regions_are_accepted_though_stdnum_rejects_them() -> None:
    numbers = ["810000196704022055", "830000201908087405"]
    assert not any(std_ric.is_valid(n) for n in numbers)
    assert all(evaluate(lambda v: checksums.is_resident_id(v, latest=LATEST), numbers))


def test_birth_date_must_not_be_after_the_reference_date() -> None:
    body = "11010520250602123"
    number = body + gen.mod11_2(body)
    assert evaluate(lambda v: checksums.is_resident_id(v, latest=LATEST), [number]) == [False]
    later = dt.date(2025, 6, 2)
    assert evaluate(lambda v: checksums.is_resident_id(v, latest=later), [number]) == [True]


def test_legacy_15_digit_ids_need_a_real_date_and_province() -> None:
    numbers = ["310104760805748", "310104761305748", "910104760805748", "31010476080574"]
    got = evaluate(lambda v: checksums.is_legacy_resident_id(v, latest=LATEST), numbers)
    assert got == [True, False, False, False]


@settings(deadline=None)  # three vectorised passes per example; a loaded machine is slow
@given(st.lists(id_like() | st.text(DIGITS + "X", min_size=14, max_size=19), max_size=40))
def test_either_form_of_resident_id_in_one_pass(numbers: list[str]) -> None:
    # The 15-digit form needs its province and date too: drawn from real 18-digit bodies.
    numbers += [n[:6] + n[8:14] + n[14:17] for n in numbers if len(n) == 18]
    got = evaluate(lambda v: checksums.is_any_resident_id(v, latest=LATEST), numbers)
    current = evaluate(lambda v: checksums.is_resident_id(v, latest=LATEST), numbers)
    legacy = evaluate(lambda v: checksums.is_legacy_resident_id(v, latest=LATEST), numbers)
    assert got == [a or b for a, b in zip(current, legacy, strict=True)]
    assert got == [
        oracle_resident_id(n) if len(n) == 18 else bool(legacy[i]) for i, n in enumerate(numbers)
    ]


def test_resident_ids_beside_non_ascii_values_of_the_same_byte_length() -> None:
    # 18 bytes that are not 18 characters must not spoil the valid IDs of the same batch.
    valid = "11010519491231002X"
    numbers = [valid, "身份证号码一二", "１１０１０５", None, "", valid.lower()]
    got = evaluate(lambda v: checksums.is_any_resident_id(v, latest=LATEST), numbers)
    assert got == [True, False, False, False, False, False]


# ----- Luhn: bank cards and IMEI ------------------------------------------------------------------


@st.composite
def luhn_like(draw: st.DrawFn, min_size: int = 2, max_size: int = 19) -> str:
    body = draw(st.text(DIGITS, min_size=min_size - 1, max_size=max_size - 1))
    return body + draw(st.just(std_luhn.calc_check_digit(body)) | st.sampled_from(DIGITS))


@given(st.lists(luhn_like(), min_size=1, max_size=40))
def test_luhn_matches_stdnum(numbers: list[str]) -> None:
    assert evaluate(checksums.luhn_valid, numbers) == [std_luhn.is_valid(n) for n in numbers]


@given(st.lists(luhn_like(15, 15), min_size=1, max_size=40))
def test_imei_check_matches_stdnum(numbers: list[str]) -> None:
    got = evaluate(lambda v: checksums.luhn_valid(v, max_length=15), numbers)
    assert got == [std_imei.is_valid(n) for n in numbers]


def test_luhn_rejects_non_digits_and_overlong_numbers() -> None:
    assert evaluate(checksums.luhn_valid, ["4111-1111-1111-1111", "4" * 20, "", "0"]) == [
        False,
        False,
        False,
        False,
    ]


# ----- GB 32100 unified social credit codes -------------------------------------------------------


@st.composite
def uscc_like(draw: st.DrawFn) -> str:
    head = draw(st.sampled_from("123456789")) + draw(st.sampled_from("123456789"))
    body = head + draw(st.text(DIGITS, min_size=6, max_size=6))
    body += draw(st.text(gen.USCC_ALPHABET, min_size=9, max_size=9))
    check = draw(
        st.just(std_uscc.calc_check_digit(body + "0")) | st.sampled_from(gen.USCC_ALPHABET)
    )
    return body + check


@given(st.lists(uscc_like(), min_size=1, max_size=40))
def test_uscc_matches_stdnum(codes: list[str]) -> None:
    assert evaluate(checksums.is_uscc, codes) == [std_uscc.is_valid(c) for c in codes]


@given(st.lists(st.text(gen.USCC_ALPHABET, min_size=17, max_size=17), min_size=1, max_size=40))
def test_uscc_check_char_matches_stdnum(bodies: list[str]) -> None:
    expected = [std_uscc.calc_check_digit(b + "0") for b in bodies]
    assert evaluate(checksums.uscc_check_char, [b + "0" for b in bodies]) == expected


def test_uscc_with_letter_authorities_is_valid_though_stdnum_rejects_it() -> None:
    codes = [gen.uscc(gen.seeded(i), authority=a, kind="1") for i, a in enumerate("AGJNY")]
    assert not any(std_uscc.is_valid(c) for c in codes)
    assert all(evaluate(checksums.is_uscc, codes))


# ----- GB 11714 organisation codes ----------------------------------------------------------------


def reference_org_check(body: str) -> str:
    total = sum(int(c, 36) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


@given(
    st.lists(
        st.text(DIGITS + "ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8), min_size=1, max_size=40
    )
)
def test_org_code_check_matches_the_standard(bodies: list[str]) -> None:
    assert evaluate(checksums.org_code_check_char, bodies) == [
        reference_org_check(b) for b in bodies
    ]


def test_org_code_inside_a_uscc_is_valid() -> None:
    assert evaluate(checksums.is_org_code, ["600037341", "600037342"]) == [True, False]


# ----- ISO 3779 VIN -------------------------------------------------------------------------------


@st.composite
def vin_like(draw: st.DrawFn) -> str:
    draft = draw(st.text(gen.VIN_ALPHABET, min_size=17, max_size=17))
    check = draw(st.just(gen.vin_check(draft)) | st.sampled_from(DIGITS + "X"))
    return draft[:8] + check + draft[9:]


@given(st.lists(vin_like(), min_size=1, max_size=40))
def test_vin_matches_the_reference(vins: list[str]) -> None:
    expected = [gen.vin_check(v) == v[8] and any(c.isalpha() for c in v) for v in vins]
    assert evaluate(checksums.is_vin, vins) == expected


def test_textbook_vin() -> None:
    assert evaluate(checksums.vin_check_char, ["1M8GDM9AXKP042788"]) == ["X"]


# ----- foreigner permanent residence IDs ----------------------------------------------------------


def test_generated_foreigner_ids_are_valid_and_single_changes_are_not() -> None:
    rng = gen.seeded(3)
    valid = [gen.foreigner_id_2023(rng) for _ in range(50)] + [
        gen.foreigner_id_old(rng) for _ in range(50)
    ]
    assert all(evaluate(lambda v: checksums.is_foreigner_permanent_id(v, latest=LATEST), valid))
    # Changing the last character breaks both checks (MOD 11-2 and 7-3-1 mod 10).
    broken = [v[:-1] + ("1" if v[-1] != "1" else "2") for v in valid]
    assert not any(
        evaluate(lambda v: checksums.is_foreigner_permanent_id(v, latest=LATEST), broken)
    )


def test_luhn_rejects_what_is_not_ascii_digits() -> None:
    valid = "6222020000000000000"
    assert std_luhn.is_valid(valid)
    # Full-width digits, letters and signs of the same byte length are no card numbers.
    numbers = [valid, "６２２２０２", "622202000000000000X", "-622202000000000000", None, "0", ""]
    got = evaluate(checksums.luhn_valid, numbers)
    assert got == [True, False, False, False, False, False, False]


def test_codes_beside_non_ascii_values_of_the_same_byte_length() -> None:
    # Six Chinese characters are 18 bytes, like a USCC; five and two letters are 17, like a
    # VIN. Such a value fails alone and leaves the valid codes of its batch valid.
    uscc = gen.uscc(gen.seeded(5))
    assert evaluate(checksums.is_uscc, [uscc, "统一社会信用", None]) == [True, False, False]
    vin = "1M8GDM9AXKP042788"
    assert evaluate(checksums.is_vin, [vin, "车架号码无AB", vin.lower()]) == [True, False, False]
