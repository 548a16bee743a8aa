"""Generators of valid identifiers and of look-alike traps, independent of the code under test.

Check digits are computed with python-stdnum where it has the identifier, otherwise with the
plain-Python reference implementations below, written from the standards.
"""

from __future__ import annotations

import datetime as dt
import random
import string

from stdnum import imei as std_imei
from stdnum import luhn as std_luhn
from stdnum.cn import ric as std_ric
from stdnum.cn import uscc as std_uscc

# Region codes that python-stdnum's division table knows, for IDs it must accept.
STDNUM_REGIONS = ("110105", "310104", "440305", "330106", "510107", "420111", "360426", "130102")
# Codes real IDs carry although they are no current county: whole-province and city codes
# (Faker emits them), abolished counties, and the HK/Macau/Taiwan residence permits.
OTHER_REGIONS = ("110000", "110100", "320500", "330102", "810000", "820000", "830000", "710000")

#: Segments in use for 11-digit subscriber numbers, written out independently of the detector.
MOBILE_PREFIXES = (
    *(f"13{d}" for d in range(10)),
    *("145", "147", "149"),
    *(f"15{d}" for d in "01235789"),
    *("162", "165", "166", "167"),
    *(f"17{d}" for d in "01235678"),
    *(f"18{d}" for d in range(10)),
    *(f"19{d}" for d in "01235789"),
)
UNUSED_MOBILE_PREFIXES = ("100", "101", "110", "120", "140", "154", "160", "179", "194")

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VIN_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"

MOD11_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def seeded(seed: int) -> random.Random:
    """A reproducible generator of test data (never of secrets)."""
    return random.Random(seed)  # noqa: S311 - reproducible test data, not a secret


def mod11_2(first17: str) -> str:
    """GB 11643 check character, the weighted-sum way the standard writes it."""
    total = sum(int(c) * w for c, w in zip(first17, MOD11_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def resident_id(
    rng: random.Random,
    *,
    region: str | None = None,
    born: dt.date | None = None,
    start: dt.date = dt.date(1940, 1, 1),
    end: dt.date = dt.date(2024, 12, 31),
) -> str:
    region = region or rng.choice(STDNUM_REGIONS + OTHER_REGIONS)
    born = born or random_date(rng, start, end)
    body = f"{region}{born:%Y%m%d}{rng.randrange(1000):03d}"
    number = body + std_ric.calc_check_digit(body + "0")
    assert mod11_2(body) == number[-1]
    return number


def legacy_resident_id(rng: random.Random) -> str:
    born = random_date(rng, dt.date(1930, 1, 1), dt.date(1984, 12, 31))
    return f"{rng.choice(STDNUM_REGIONS)}{born:%y%m%d}{rng.randrange(1000):03d}"


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def landline(rng: random.Random) -> str:
    if rng.random() < 0.5:
        area, digits = rng.choice(["010", "021", "020", "025"]), 7
    else:
        area, digits = rng.choice(["0571", "0755", "0512", "0351"]), 6
    return f"{area}-{rng.randint(2, 8)}{rng.randrange(10**digits):0{digits}d}"


def luhn_number(rng: random.Random, prefix: str, length: int) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    return body + std_luhn.calc_check_digit(body)


def bank_card(rng: random.Random) -> str:
    prefix = rng.choice(["622202", "621700", "622848", "625807", "436742", "518710"])
    return luhn_number(rng, prefix, rng.choice([16, 16, 19, 19, 17, 18]))


def imei(rng: random.Random) -> str:
    number = luhn_number(rng, rng.choice(["35", "86", "01", "99"]), 15)
    assert std_imei.is_valid(number)
    return number


def uscc(rng: random.Random, *, authority: str = "9", kind: str = "1") -> str:
    region = rng.choice(["110000", "310115", "440300", "330100", "100000"])
    body = authority + kind + region + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    return body + std_uscc.calc_check_digit(body + "0")


def vin_check(vin: str) -> str:
    values = {str(d): d for d in range(10)}
    values |= dict(zip("ABCDEFGH", range(1, 9), strict=True))
    values |= dict(zip("JKLMN", range(1, 6), strict=True)) | {"P": 7, "R": 9}
    values |= dict(zip("STUVWXYZ", range(2, 10), strict=True))
    weights = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
    total = sum(values[c] * w for c, w in zip(vin, weights, strict=True))
    return "X" if total % 11 == 10 else str(total % 11)


def vin(rng: random.Random) -> str:
    wmi = rng.choice(["LSV", "LFV", "LGB", "LBV", "LVS", "LRW"])
    rest = "".join(rng.choice(VIN_ALPHABET) for _ in range(14))
    draft = wmi + rest[:5] + "0" + rest[6:]
    return draft[:8] + vin_check(draft) + draft[9:]


def plate(rng: random.Random) -> str:
    province, letter = rng.choice(PROVINCES), rng.choice(PLATE_LETTERS)
    kind = rng.random()
    if kind < 0.5:
        serial = f"{rng.randrange(10**5):05d}"
    elif kind < 0.7:
        serial = rng.choice(PLATE_LETTERS) + f"{rng.randrange(10**4):04d}"
    elif kind < 0.85:  # new-energy small car
        serial = (
            rng.choice("DFABCEGHJK")
            + rng.choice(PLATE_LETTERS + string.digits)
            + f"{rng.randrange(10**4):04d}"
        )
    else:  # new-energy large vehicle
        serial = f"{rng.randrange(10**5):05d}" + rng.choice("DFABCEGHJK")
    return province + letter + serial


def passport(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return f"E{rng.randrange(10**8):08d}"
    return "E" + rng.choice("ABCDEFGH") + f"{rng.randrange(10**7):07d}"


def home_return_permit(rng: random.Random) -> str:
    return rng.choice("HM") + f"{rng.randrange(10**8):08d}" + rng.choice(["", "01", "02"])


def taiwan_permit(rng: random.Random) -> str:
    return f"{rng.randrange(10**8):08d}" + rng.choice(["", "00", "01"])


def foreigner_id_2023(rng: random.Random) -> str:
    born = random_date(rng, dt.date(1950, 1, 1), dt.date(2010, 12, 31))
    province = rng.choice(["11", "31", "44"])
    nationality = rng.choice(["840", "392", "410", "276"])
    body = f"9{province}{nationality}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return body + mod11_2(body)


def foreigner_id_old(rng: random.Random) -> str:
    born = random_date(rng, dt.date(1950, 1, 1), dt.date(1999, 12, 31))
    body = (
        rng.choice(["USA", "JPN", "KOR", "DEU"])
        + "1100"
        + f"{born:%y%m%d}"
        + str(rng.randrange(10))
    )
    values = [int(c, 36) for c in body]
    check = sum(v * (7, 3, 1)[i % 3] for i, v in enumerate(values)) % 10
    return body + str(check)


def hk_check(prefix: str, digits: str) -> str:
    """HKID check character in the ASCII-based formulation: letters are their code point minus
    55 (A = 10), a missing first letter counts 58 (≡ 36 mod 11, the value other write-ups use)."""
    letters = prefix.rjust(2)
    values = [58 if c == " " else ord(c) - 55 for c in letters] + [int(d) for d in digits]
    remainder = sum(v * w for v, w in zip(values, range(9, 1, -1), strict=True)) % 11
    return "0123456789A"[(11 - remainder) % 11]


def hk_id(rng: random.Random) -> str:
    prefix = "".join(rng.choice(string.ascii_uppercase) for _ in range(rng.choice([1, 1, 2])))
    digits = f"{rng.randrange(10**6):06d}"
    return f"{prefix}{digits}({hk_check(prefix, digits)})"


#: Taiwan ID letters in the order of their two-digit codes 10, 11, … 35.
TAIWAN_LETTERS = "ABCDEFGHJKLMNPQRSTUVXYWZIO"


def taiwan_check(first9: str) -> str:
    code = TAIWAN_LETTERS.index(first9[0]) + 10
    digits = [code // 10, code % 10, *(int(d) for d in first9[1:])]
    total = sum(d * w for d, w in zip(digits, (1, 9, 8, 7, 6, 5, 4, 3, 2, 1), strict=True))
    return str((10 - total % 10) % 10)


def taiwan_id(rng: random.Random) -> str:
    body = rng.choice(TAIWAN_LETTERS) + rng.choice("12") + f"{rng.randrange(10**7):07d}"
    return body + taiwan_check(body)


def macau_id(rng: random.Random) -> str:
    return f"{rng.choice('157')}{rng.randrange(10**6):06d}({rng.randrange(10)})"


def email(rng: random.Random) -> str:
    user = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 10)))
    return (
        f"{user}{rng.randrange(100)}@{rng.choice(['qq.com', '163.com', 'example.com', 'sina.cn'])}"
    )


# ----- traps -----------------------------------------------------------------------------------


def order_number(rng: random.Random) -> str:
    """18 digits opening with a date, as order systems issue them; never a valid ID."""
    day = random_date(rng, dt.date(2019, 1, 1), dt.date(2025, 12, 31))
    return f"{day:%Y%m%d}{rng.randrange(10**10):010d}"


def id_shaped_wrong_check(rng: random.Random) -> str:
    """A real-looking resident ID with its check character changed."""
    number = resident_id(rng)
    wrong = rng.choice([c for c in "0123456789X" if c != number[-1]])
    return number[:-1] + wrong


def serial_failing_luhn(rng: random.Random) -> str:
    length = rng.randint(16, 19)
    body = "".join(rng.choice(string.digits) for _ in range(length - 1))
    good = std_luhn.calc_check_digit(body)
    return body + rng.choice([d for d in string.digits if d != good])


def timestamp14(rng: random.Random) -> str:
    moment = dt.datetime(2020, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=rng.randrange(10**8))
    return f"{moment:%Y%m%d%H%M%S}"


def ean13_cn(rng: random.Random) -> str:
    body = "69" + "".join(rng.choice(string.digits) for _ in range(10))
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body))
    return body + str((10 - total % 10) % 10)


def sku(rng: random.Random) -> str:
    brand = rng.choice(["SKU", "SP", "HW", "XM"])
    variant = rng.choice(["BLK", "WHT", "XL", "M", "RED"])
    return f"{brand}-{rng.randrange(10**5):05d}-{variant}"


def sequential_ids(start: int, count: int) -> list[str]:
    """Auto-increment ids that sit in a mobile-number range."""
    return [str(start + i) for i in range(count)]
