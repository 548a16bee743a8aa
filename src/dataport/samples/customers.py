"""A realistic customer table of a Chinese company: names, ID numbers, phones, bank cards.

Every identifier is valid (check digits from python-stdnum) and consistent (birth date and
sex agree with the ID number). Faker's mobile prefixes are out of date, so phone numbers use
the prefixes MIIT has allocated (2024). About 3% of customers are minors under 14.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
from faker import Faker
from stdnum import luhn
from stdnum.cn import ric

#: Mobile number prefixes in use (China Mobile, Unicom, Telecom, Broadnet, virtual operators).
MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "145",
    "147",
    "149",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "162",
    "165",
    "166",
    "167",
    "170",
    "171",
    "172",
    "173",
    "175",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "184",
    "185",
    "186",
    "187",
    "188",
    "189",
    "190",
    "191",
    "192",
    "193",
    "195",
    "196",
    "197",
    "198",
    "199",
]
#: County-level division codes (GB/T 2260) of a few large cities. python-stdnum's region table
#: dates each code and lacks some newer ones (such as Pudong's 310115), so only these are used.
REGION_CODES = [
    "310101",
    "310104",
    "310105",
    "310106",
    "310107",
    "310109",
    "310110",
    "310112",
    "310113",
    "310230",
    "110101",
    "110105",
    "110108",
    "440103",
    "440106",
    "440305",
    "330102",
    "330106",
    "320102",
    "510104",
    "420102",
    "120101",
    "610113",
]
#: UnionPay debit BINs of large banks.
CARD_BINS = ("622202", "622848", "621700", "622588", "621226", "622609", "623058")
TIERS = ("普通", "银卡", "金卡", "铂金")

COLUMNS = (
    "客户编号",
    "姓名",
    "性别",
    "身份证号",
    "出生日期",
    "手机号",
    "电子邮箱",
    "住址",
    "银行卡号",
    "注册时间",
    "累计消费金额",
    "会员等级",
)


@dataclass(frozen=True)
class Person:
    birth: date
    female: bool
    id_number: str


def _person(rng: random.Random, today: date, minor: bool) -> Person:
    age_days = rng.randint(365, 13 * 365) if minor else rng.randint(18 * 365, 80 * 365)
    birth = today - timedelta(days=age_days)
    female = rng.random() < 0.5
    # The 17th digit is odd for men, even for women (GB 11643-1999).
    sex_digit = rng.choice((0, 2, 4, 6, 8) if female else (1, 3, 5, 7, 9))
    # stdnum checks that the county code existed on the birth date; draw until one did.
    for _ in range(100):
        body = f"{rng.choice(REGION_CODES)}{birth:%Y%m%d}{rng.randrange(100):02d}{sex_digit}"
        number = body + ric.calc_check_digit(body + "0")  # stdnum wants a placeholder digit
        if ric.is_valid(number):
            return Person(birth, female, number)
    raise AssertionError(f"no region code in the table was in use on {birth}")


def _mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _card(rng: random.Random) -> str:
    body = rng.choice(CARD_BINS) + "".join(str(rng.randrange(10)) for _ in range(12))
    return body + luhn.calc_check_digit(body)


def customers(rows: int, *, seed: int = 20240322, today: date | None = None) -> pl.DataFrame:
    """``rows`` customers, the same for the same seed."""
    rng = random.Random(seed)  # noqa: S311 - sample data, not secrets
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    today = today or date(2026, 1, 1)
    start = datetime(2019, 1, 1, tzinfo=UTC)
    records: dict[str, list[object]] = {name: [] for name in COLUMNS}
    for i in range(rows):
        person = _person(rng, today, minor=rng.random() < 0.03)
        name = fake.name_female() if person.female else fake.name_male()
        values = (
            f"C{i + 1:08d}",
            name,
            "女" if person.female else "男",
            person.id_number,
            person.birth.isoformat(),
            _mobile(rng),
            fake.free_email(),
            fake.address().rsplit(" ", 1)[0],
            _card(rng),
            (start + timedelta(seconds=rng.randrange(7 * 365 * 86400))).strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
            round(rng.lognormvariate(7, 1.2), 2),
            rng.choices(TIERS, weights=(60, 25, 12, 3))[0],
        )
        for column, value in zip(COLUMNS, values, strict=True):
            records[column].append(value)
    return pl.DataFrame(records)


def write_csv(frame: pl.DataFrame, path: Path, *, encoding: str = "utf-8") -> Path:
    """Write ``frame`` as CSV in ``encoding`` (``gb18030`` gives a typical legacy export)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = frame.write_csv()
    path.write_bytes(text.encode(encoding))
    return path
