"""Column scans on generated tables: the right categories, nothing on the traps, masked examples."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable

import polars as pl
import pytest
from faker import Faker

from dataport.classify import (
    ColumnScan,
    Sensitivity,
    detector_for,
    scan_column,
)
from dataport.classify.column import ColumnEvidence, ColumnPlan
from tests.classify import generators as gen

AS_OF = dt.date(2025, 6, 1)
ROWS = 300
ADULT_BIRTHS = {"start": dt.date(1940, 1, 1), "end": dt.date(2005, 12, 31)}

Column = Callable[[random.Random, Faker], object]


def free_text(rng: random.Random, fake: Faker) -> str:
    """A service note: a third of them name a customer's phone, ID, address and e-mail."""
    if rng.random() < 1 / 3:
        return (
            f"客户{fake.name()}来电{gen.mobile(rng)}，"
            f"身份证{gen.resident_id(rng, **ADULT_BIRTHS)}，"
            f"地址{fake.address()}，邮箱{gen.email(rng)}"
        )
    return fake.sentence()


#: Column name → (value generator, categories expected). Names are what real tables use,
#: including none at all ("col_7") and ones that lie.
COLUMNS: dict[str, tuple[Column, set[str]]] = {
    "col_7": (lambda r, f: gen.resident_id(r, **ADULT_BIRTHS), {"cn_resident_id"}),
    "证件号码": (lambda r, f: f.ssn(), {"cn_resident_id"}),
    "phone": (lambda r, f: gen.resident_id(r, **ADULT_BIRTHS), {"cn_resident_id"}),  # lies
    "legacy_id": (lambda r, f: gen.legacy_resident_id(r), {"cn_resident_id"}),
    "姓名": (lambda r, f: f.name(), {"person_name"}),
    "c3": (lambda r, f: f.name(), {"person_name"}),
    "name_en": (lambda r, f: f.romanized_name(), {"person_name"}),
    "手机号": (lambda r, f: gen.mobile(r), {"cn_mobile"}),
    "contact": (lambda r, f: f.phone_number(), {"cn_mobile"}),
    "办公电话": (lambda r, f: gen.landline(r), {"cn_landline"}),
    "email": (lambda r, f: gen.email(r), {"email"}),
    "收货地址": (lambda r, f: f.address(), {"address"}),
    "银行卡号": (lambda r, f: gen.bank_card(r), {"bank_card"}),
    "c9": (lambda r, f: f.credit_card_number(), {"bank_card"}),
    "统一社会信用代码": (lambda r, f: gen.uscc(r), {"cn_uscc"}),
    "plate": (lambda r, f: gen.plate(r), {"cn_license_plate"}),
    "device": (lambda r, f: gen.imei(r), {"imei"}),
    "车架号": (lambda r, f: gen.vin(r), {"vin"}),
    "client_ip": (lambda r, f: f.ipv4() if r.random() < 0.5 else f.ipv6(), {"ip_address"}),
    "wifi_mac": (lambda r, f: f.mac_address(), {"mac_address"}),
    "护照号码": (lambda r, f: gen.passport(r), {"passport"}),
    "回乡证号": (lambda r, f: gen.home_return_permit(r), {"hk_macau_permit"}),
    "台胞证号": (lambda r, f: gen.taiwan_permit(r), {"taiwan_permit"}),
    "永居证号": (
        lambda r, f: gen.foreigner_id_2023(r) if r.random() < 0.5 else gen.foreigner_id_old(r),
        {"foreigner_permanent_id"},
    ),
    "香港身份证号": (lambda r, f: gen.hk_id(r), {"hk_id_card"}),
    "c_hk": (lambda r, f: gen.hk_id(r), {"hk_id_card"}),
    "澳门身份证": (lambda r, f: gen.macau_id(r), {"macau_id_card"}),
    "身分證字號": (lambda r, f: gen.taiwan_id(r), {"taiwan_id_card"}),
    "c_tw": (lambda r, f: gen.taiwan_id(r), {"taiwan_id_card"}),
    "军官证号": (
        lambda r, f: f"{r.choice('南北沈兰成济广')}字第{r.randrange(10**8):08d}号",
        {"military_id"},
    ),
    # The social security number is the resident ID number: both categories, by design.
    "社保卡号": (
        lambda r, f: gen.resident_id(r, **ADULT_BIRTHS),
        {"cn_resident_id", "medical_insurance"},
    ),
    "医保编号": (
        lambda r, f: f"{r.choice('ABC')}{r.randrange(10**10):010d}",
        {"medical_insurance"},
    ),
    "出生日期": (lambda r, f: f.date_of_birth(minimum_age=18).isoformat(), {"birth_date"}),
    "经纬度": (lambda r, f: f"{f.latitude():.6f},{f.longitude():.6f}", {"gps_coordinate"}),
    "民族": (
        lambda r, f: r.choice(["汉族", "回族", "壮族", "满族", "维吾尔族", "苗族"]),
        {"ethnicity"},
    ),
    "宗教信仰": (lambda r, f: r.choice(["佛教", "无宗教信仰", "基督教", "伊斯兰教"]), {"religion"}),
    "诊断": (lambda r, f: r.choice(["高血压", "2型糖尿病", "肺炎", "骨折"]), {"health"}),
    "note": (free_text, {"cn_resident_id", "cn_mobile", "address", "email"}),
    # Traps: none of these is personal data.
    "order_no": (lambda r, f: gen.order_number(r), set()),
    "身份证号": (lambda r, f: gen.order_number(r), set()),  # lies
    "id_bad_check": (lambda r, f: gen.id_shaped_wrong_check(r), set()),
    "serial_no": (lambda r, f: gen.serial_failing_luhn(r), set()),
    "serial_any": (
        lambda r, f: "".join(r.choice("0123456789") for _ in range(r.randint(16, 19))),
        set(),
    ),
    "文书编号": (lambda r, f: f"{r.choice('南北京沪')}字第{r.randrange(10**6):06d}号", set()),
    "医保类型": (lambda r, f: r.choice(["城镇职工", "城乡居民", "新农合"]), set()),
    "created": (lambda r, f: gen.timestamp14(r), set()),
    "created_at": (lambda r, f: f.date_time_this_decade().isoformat(sep=" "), set()),
    "ts_ms": (lambda r, f: str(1_700_000_000_000 + r.randrange(10**9)), set()),
    "barcode": (lambda r, f: gen.ean13_cn(r), set()),
    "sku": (lambda r, f: gen.sku(r), set()),
    "company": (lambda r, f: f.company(), set()),
    "product_name": (lambda r, f: f.word(), set()),
    "job": (lambda r, f: f.job(), set()),
    "city": (lambda r, f: f.city(), set()),
    "price": (lambda r, f: f"{r.random() * 1000:.2f}", set()),
    "version": (lambda r, f: f"{r.randint(1, 5)}.{r.randint(0, 20)}.{r.randint(0, 99)}", set()),
}


@pytest.fixture(scope="module")
def table() -> pl.DataFrame:
    rng = gen.seeded(20250601)
    fake = Faker("zh_CN")
    fake.seed_instance(20250601)
    data = {
        name: [str(make(rng, fake)) for _ in range(ROWS)] for name, (make, _) in COLUMNS.items()
    }
    # Auto-increment ids that sit inside a mobile-number range.
    data["user_id"] = gen.sequential_ids(13_800_000_000, ROWS)
    return pl.DataFrame(data)


@pytest.fixture(scope="module")
def scans(table: pl.DataFrame) -> dict[str, ColumnScan]:
    return {name: scan_column(table[name], as_of=AS_OF) for name in table.columns}


def expected_categories(name: str) -> set[str]:
    return COLUMNS[name][1] if name in COLUMNS else set()


@pytest.mark.parametrize("name", [*COLUMNS, "user_id"])
def test_each_column_gets_exactly_its_categories(name: str, scans: dict[str, ColumnScan]) -> None:
    assert set(scans[name].categories) == expected_categories(name)


def test_column_level_precision_and_recall_are_perfect(scans: dict[str, ColumnScan]) -> None:
    found = {(n, c) for n, s in scans.items() for c in s.categories}
    truth = {(n, c) for n in scans for c in expected_categories(n)}
    assert found - truth == set(), "false alarms"
    assert truth - found == set(), "misses"


def test_structured_columns_match_nearly_every_value(scans: dict[str, ColumnScan]) -> None:
    for name in ("col_7", "手机号", "email", "银行卡号", "统一社会信用代码", "车架号", "姓名"):
        [hit] = scans[name].hits
        assert hit.ratio >= 0.99, name
        assert hit.matched <= scans[name].non_null


def test_examples_are_masked(table: pl.DataFrame, scans: dict[str, ColumnScan]) -> None:
    shapes = {
        "cn_resident_id": r"^\d{6}\*{8}[\dX]{4}$|^\d{6}\*{5}\d{4}$",
        "cn_mobile": r"^1\d{2}\*{4}\d{4}$",
        "bank_card": r"^\d{6}\*+\d{4}$",
        "email": r"^.\*\*\*@[\w.-]+$",
    }
    raw_values = {v for column in table.columns for v in table[column].to_list()}
    for scan in scans.values():
        for hit in scan.hits:
            assert 1 <= len(hit.examples) <= 3
            for example in hit.examples:
                assert example not in raw_values
                if hit.category in shapes:
                    assert re.match(shapes[hit.category], example), (hit.category, example)


def test_free_text_reports_every_category_it_holds(scans: dict[str, ColumnScan]) -> None:
    hits = {h.category: h for h in scans["note"].hits}
    assert 0.2 < hits["cn_mobile"].ratio < 0.5
    assert hits["cn_resident_id"].matched == hits["cn_mobile"].matched


def test_a_column_name_that_agrees_raises_confidence(table: pl.DataFrame) -> None:
    named = scan_column(table["手机号"].alias("手机号"), as_of=AS_OF).hits[0].confidence
    anonymous = scan_column(table["手机号"].alias("c1"), as_of=AS_OF).hits[0].confidence
    assert anonymous < named


def test_a_name_alone_does_not_report_a_value_category(table: pl.DataFrame) -> None:
    assert scan_column(table["sku"].alias("手机号"), as_of=AS_OF).categories == ()


def test_phones_spread_like_real_numbers_are_phones() -> None:
    rng = gen.seeded(5)
    phones = pl.Series("c", [gen.mobile(rng) for _ in range(ROWS)])
    assert scan_column(phones).categories == ("cn_mobile",)


@pytest.mark.parametrize(
    ("numbers", "judged", "dense"),
    [
        # Allocated in sequence (user ids that look like phones): judged, and dense.
        ([str(13800000000 + i) for i in range(300)], 1, 1),
        # Real phones, billions apart: judged, not dense.
        ("spread", 1, 0),
        # Few distinct numbers, however far apart, are too few to judge.
        ([str(n) for n in (13812345678, 15987654321, 18600001111)] * 100, 0, 0),
        # Just enough distinct numbers, all after the first thousand repeats.
        ([*["13812345678"] * 1_200, *(str(13000000000 + 10**8 * i) for i in range(25))], 1, 0),
    ],
)
def test_whether_phone_numbers_were_allocated_in_sequence_is_judged_on_enough_of_them(
    numbers: list[str] | str, judged: int, dense: int
) -> None:
    from dataport.classify.column import column_evidence

    if numbers == "spread":
        rng = gen.seeded(7)
        numbers = [gen.mobile(rng) for _ in range(300)]
    found = column_evidence(pl.Series("c", numbers), as_of=AS_OF, deduplicate=False)
    evidence = found.evidence["cn_mobile"]
    assert (evidence.judged_batches, evidence.dense_batches) == (judged, dense)


def test_random_eleven_digit_ids_are_not_phones() -> None:
    # Half of all numbers 10000000000-19999999999 open with a mobile segment: a column
    # of such ids passes no more often than chance does.
    rng = gen.seeded(6)
    ids = pl.Series("c", [str(rng.randrange(10**10, 2 * 10**10)) for _ in range(ROWS)])
    assert scan_column(ids).categories == ()


def test_a_few_luhn_passes_among_serials_are_not_cards() -> None:
    rng = gen.seeded(8)
    serials = [gen.serial_failing_luhn(rng) for _ in range(50)]
    serials += [gen.luhn_number(rng, "4", 16) for _ in range(5)]  # about the share chance gives
    assert "bank_card" not in scan_column(pl.Series("c", serials)).categories


def test_resident_ids_that_pass_luhn_are_not_bank_cards() -> None:
    rng = gen.seeded(9)
    ids = [gen.resident_id(rng, **ADULT_BIRTHS) for _ in range(ROWS)]
    assert scan_column(pl.Series("银行卡号", ids), as_of=AS_OF).categories == ("cn_resident_id",)


# ----- minors -------------------------------------------------------------------------------------


def test_minors_are_derived_from_resident_ids() -> None:
    rng = gen.seeded(13)
    adults = [gen.resident_id(rng, **ADULT_BIRTHS) for _ in range(90)]
    children = [
        gen.resident_id(rng, start=dt.date(2012, 1, 1), end=dt.date(2020, 1, 1)) for _ in range(10)
    ]
    scan = scan_column(pl.Series("sfzh", adults + children), as_of=AS_OF)
    hits = {h.category: h for h in scan.hits}
    assert hits["minor"].matched == 10
    assert hits["minor"].ratio == pytest.approx(0.1)
    assert all(re.match(r"^\d{6}\*{8}", e) for e in hits["minor"].examples)
    assert scan.sensitivity() is Sensitivity.SENSITIVE
    # By 2040 every one of them is 14 or older.
    later = scan_column(pl.Series("sfzh", adults + children), as_of=dt.date(2040, 1, 1))
    assert "minor" not in later.categories


# ----- input kinds --------------------------------------------------------------------------------


def test_numeric_and_temporal_columns_are_read_as_text() -> None:
    rng = gen.seeded(21)
    phones = pl.Series("mobile", [int(gen.mobile(rng)) for _ in range(100)], dtype=pl.Int64)
    latitudes = pl.Series("latitude", [rng.uniform(18, 53) for _ in range(100)], dtype=pl.Float64)
    birthdays = pl.Series(
        "birthday", [dt.date(1960, 1, 1) + dt.timedelta(days=i * 97) for i in range(100)]
    )
    assert scan_column(phones).categories == ("cn_mobile",)
    assert scan_column(latitudes).categories == ("gps_coordinate",)
    assert scan_column(birthdays).categories == ("birth_date",)
    assert scan_column(latitudes.alias("amount")).categories == ()


def test_binary_columns_are_known_by_their_name_only() -> None:
    blobs = pl.Series("人脸图像", [b"\xff\xd8\xff", b"\x89PNG"], dtype=pl.Binary)
    scan = scan_column(blobs)
    assert scan.categories == ("biometric",)
    assert scan.non_null == 0
    assert scan.hits[0].examples == ()


def test_empty_and_blank_columns_have_no_hits() -> None:
    assert scan_column(pl.Series("c", [], dtype=pl.String)).hits == ()
    blank = scan_column(pl.Series("c", [None, "", "   "], dtype=pl.String))
    assert blank.non_null == 0
    assert blank.hits == ()


def test_detectors_and_threshold_can_be_chosen(table: pl.DataFrame) -> None:
    only_email = scan_column(table["note"], detectors=[detector_for("email")], as_of=AS_OF)
    assert only_email.categories == ("email",)
    strict = scan_column(table["护照号码"], min_confidence=0.99)
    assert strict.categories == ()


def test_a_detector_outside_the_registry_can_be_used() -> None:
    from dataport.classify import Detector, ValuePattern, Vocabulary

    employee_no = Detector(
        category="employee_no",
        label_zh="工号",
        label_en="Employee number",
        sensitivity=Sensitivity.PERSONAL,
        basis="internal",
        vocabulary=Vocabulary(zh=("工号",)),
        patterns=(ValuePattern("EMP + 6 digits", r"EMP\d{6}", 0.9),),
    )
    values = pl.Series("工号", [f"EMP{i:06d}" for i in range(50)])
    scan = scan_column(values, detectors=[employee_no])
    assert scan.categories == ("employee_no",)
    assert scan.sensitivity() is Sensitivity.PERSONAL
    assert scan.hits[0].examples[0] == "E********"  # the default mask keeps one character


def test_repeated_cells_examined_once_give_the_same_evidence(table: pl.DataFrame) -> None:
    from dataport.classify.column import SAMPLE_STRIDE, ColumnPlan, column_evidence
    from dataport.classify.registry import all_detectors

    keep = {d.category for d in all_detectors()}
    rng = gen.seeded(5)
    for name in table.columns:
        # Each value five times over, shuffled, with empty cells among them, and a few values
        # again with spaces around them (trimmed, they are the same cells).
        some = [v for v in table[name].to_list() if v is not None][:3]
        cells = [*table[name].to_list() * 5, None, "", " ", *(f" {v}\u3000" for v in some)]
        rng.shuffle(cells)
        values = pl.Series(name, cells, dtype=pl.String)
        plain = column_evidence(values, as_of=AS_OF, keep=keep, deduplicate=False)
        # Later batches sample the quiet and dead categories: that must agree too.
        plan = ColumnPlan(
            dead=frozenset(k for k, v in plain.states.items() if v == "dead"),
            quiet=frozenset(k for k, v in plain.states.items() if v == "quiet"),
            stride=SAMPLE_STRIDE // 4,
        )
        for given in (None, plan):
            plain = column_evidence(values, as_of=AS_OF, keep=keep, plan=given, deduplicate=False)
            once = column_evidence(values, as_of=AS_OF, keep=keep, plan=given, deduplicate=True)
            assert once.non_null == plain.non_null
            # Sums of scores in another order differ in the last bits, nothing else may.
            for category, found in plain.evidence.items():
                again = once.evidence[category]
                assert again.score_sum == pytest.approx(found.score_sum), (name, category)
                again.score_sum = found.score_sum
            assert once.evidence == plain.evidence, name
            assert once.states == plain.states, name
            assert once.matches.keys() == plain.matches.keys(), name
            for category, found in plain.matches.items():
                # Rows in any order: what counts is which row holds which value.
                same = once.matches[category].sort("row").equals(found.sort("row"))
                assert same, (name, category)


def _gated_as_ungated(
    monkeypatch: pytest.MonkeyPatch, values: pl.Series, plan: ColumnPlan
) -> ColumnEvidence:
    """The column's evidence with the sample's gates always used, checked against never."""
    from dataport.classify import column
    from dataport.classify.registry import all_detectors

    keep = {d.category for d in all_detectors()}
    found = {}
    for share in (0.0, 1.0):  # never routed apart, always routed apart
        monkeypatch.setattr(column, "_GATE_MAX_SHARE", share)
        found[share] = column.column_evidence(values, as_of=AS_OF, keep=keep, plan=plan)
    never, always = found[0.0], found[1.0]
    assert always.evidence == never.evidence
    assert always.states == never.states
    return always


@pytest.mark.parametrize("notes_share", [0.1, 0.9])
def test_settled_categories_are_sampled_in_the_cells_passing_their_gate_only(
    monkeypatch: pytest.MonkeyPatch, notes_share: float
) -> None:
    """Sampled cells go to TEXT detectors only if they hold a candidate of one of them, and to
    CELL detectors of trimmed values only if shaped like a value of one of them: what the
    sample finds must not change, whether few or most cells pass."""
    from dataport.classify import column
    from dataport.classify.registry import all_detectors

    rng = gen.seeded(11)
    fake = Faker("zh_CN")
    fake.seed_instance(11)
    # One category to a cell, so that no category is found for another's sake.
    notes = (
        lambda: f"客户来电{gen.mobile(rng)}，请回电",
        lambda: f"身份证{gen.resident_id(rng, **ADULT_BIRTHS)}已核验",
        lambda: f"账单寄往邮箱{gen.email(rng)}",
        lambda: rng.choice(["汉族", "回族", "蒙古族"]),
        lambda: rng.choice(["佛教", "基督教", "伊斯兰教"]),
    )
    cells = [
        rng.choice(notes)() if rng.random() < notes_share else fake.sentence() for _ in range(900)
    ]
    values = pl.Series("说明", [*cells, None, ""], dtype=pl.String)
    keep = {d.category for d in all_detectors()}
    # Every category settled as if the first rows had shown none of them.
    plan = column.ColumnPlan(dead=frozenset(keep), stride=3)
    always = _gated_as_ungated(monkeypatch, values, plan)
    # The sample saw each of them, which are then followed in every cell.
    for category in ("cn_mobile", "cn_resident_id", "email", "ethnicity", "religion"):
        assert always.states[category] == "active", category
        assert always.evidence[category].valid_rows > 0, category


@pytest.mark.parametrize("twist", [False, True])
def test_a_column_of_whole_values_gives_what_extraction_gives(twist: bool) -> None:
    """A category followed in full is looked for first as whole cells (``Detector.whole``):
    a column of such cells alone must give what extraction and normalisation give; one cell in
    another form (``twist``) sends the column the long way."""
    from dataclasses import replace

    from dataport.classify import column
    from dataport.classify.registry import all_detectors

    rng = gen.seeded(17)
    shanghai = {"region": "310101", **ADULT_BIRTHS}
    columns = {
        # Valid values, look-alikes of the same shape, and (for cards) IDs that the ID
        # detector claims: whole cells of another category that cards yield to.
        "cn_resident_id": [gen.resident_id(rng) for _ in range(40)]
        + [gen.legacy_resident_id(rng), gen.id_shaped_wrong_check(rng), "11010519491231002X"],
        "cn_mobile": [gen.mobile(rng) for _ in range(40)] + ["19412345678"],
        "bank_card": [gen.bank_card(rng) for _ in range(40)]
        + [gen.serial_failing_luhn(rng), gen.resident_id(rng, **shanghai)],
        "email": [gen.email(rng) for _ in range(40)] + ["logo@2x.png"],
        "ip_address": [f"10.{rng.randrange(256)}.{rng.randrange(256)}.1" for _ in range(40)],
        "cn_uscc": [gen.uscc(rng) for _ in range(40)],
        "vin": [gen.vin(rng) for _ in range(40)],
        "imei": [gen.imei(rng) for _ in range(40)] + [gen.legacy_resident_id(rng)],
        "mac_address": ["00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5f", "001a.2b3c.4d60"] * 10,
    }
    twisted = {
        "cn_resident_id": "身份证110105194912310021",
        "cn_mobile": "+86 138-1234-5678",
        "bank_card": "6222 0212 3456 7890",
        "email": "邮箱 a@b.cn",
        "ip_address": "::1",
        "cn_uscc": "91350100 M000100Y43",
        "vin": "LSVAM4187C2184847 ",
        "imei": "IMEI:49-015420-323751-8",
        "mac_address": "mac 00:1A:2B:3C:4D:5E",
    }
    assert set(columns) == {d.category for d in all_detectors() if d.whole is not None}
    keep = {d.category for d in all_detectors()}
    long_way = [replace(d, whole=None) for d in all_detectors()]
    for category, cells in columns.items():
        values = pl.Series(category, [*cells, None, *([twisted[category]] if twist else [])])
        # A plan with nothing settled: every category is followed in full.
        found = [
            column.column_evidence(
                values, as_of=AS_OF, keep=keep, plan=column.ColumnPlan(), detectors=detectors
            )
            for detectors in (None, long_way)
        ]
        fast, slow = found
        for key, evidence in slow.evidence.items():
            assert fast.evidence[key].score_sum == pytest.approx(evidence.score_sum), key
            fast.evidence[key].score_sum = evidence.score_sum
        assert fast.evidence == slow.evidence, category
        assert fast.evidence[category].valid_rows > 0, category
        assert fast.states == slow.states, category
        assert fast.matches.keys() == slow.matches.keys(), category
        for key, matched in slow.matches.items():
            assert fast.matches[key].equals(matched), (category, key)


def test_cells_claimed_by_a_followed_category_pass_the_sample_gates_of_the_others_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In a column of resident IDs, each cell is claimed by the IDs: the sample's gates hold it
    only for the categories that do not yield to them. Cards written in the other cells (cards
    yield to IDs) must still be found, and so must everything a whole gate finds."""
    from dataport.classify import column
    from dataport.classify.registry import all_detectors

    rng = gen.seeded(19)
    cells = [gen.resident_id(rng, **ADULT_BIRTHS) for _ in range(600)]
    # Cards written in groups of four hold no candidate of any other category.
    cards = (gen.luhn_number(rng, "622202", 16) for _ in range(30))
    cells += ["卡号 " + " ".join(c[i : i + 4] for i in range(0, 16, 4)) for c in cards]
    cells += [f"客户来电{gen.mobile(rng)}" for _ in range(20)]
    cells += [gen.uscc(rng), gen.imei(rng), None]
    rng.shuffle(cells)
    values = pl.Series("证件", cells, dtype=pl.String)
    keep = {d.category for d in all_detectors()}
    # Every category settled but the IDs, which are followed in full and claim their cells.
    plan = column.ColumnPlan(dead=frozenset(keep - {"cn_resident_id"}), stride=2)
    always = _gated_as_ungated(monkeypatch, values, plan)
    assert always.evidence["cn_resident_id"].valid_rows == 600
    for category in ("bank_card", "cn_mobile"):
        assert always.states[category] == "active", category


def test_the_sample_gates_run_on_their_own_thread_and_without_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The sample's gates run on one thread of their own, where Polars keeps them compiled:
    asked from many column threads at once, each gets its own cells' answer; once that thread
    takes no more work (the interpreter shutting down), the caller's thread gives the same."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from dataport.classify import column

    pattern = r"1[3-9]\d{9}|@"
    columns = [
        pl.Series("v", [f"电话138{i:08d}", "无", None, f"u{i}@example.cn", "SKU-1"])
        for i in range(16)
    ]
    expected = [True, False, False, True, False]
    ran_on: list[str] = []
    contains = column._contains

    def recorded(cells: pl.Series, pattern: str) -> pl.Series:
        ran_on.append(threading.current_thread().name)
        return contains(cells, pattern)

    monkeypatch.setattr(column, "_contains", recorded)
    with ThreadPoolExecutor(max_workers=4) as callers:
        found = list(callers.map(lambda cells: column._through_gate(cells, pattern), columns))
    assert [f.to_list() for f in found] == [expected] * len(columns)
    assert len(ran_on) == len(columns)
    assert all(name.startswith("dataport-gates") for name in ran_on), ran_on

    stopped = ThreadPoolExecutor(max_workers=1)
    stopped.shutdown()
    monkeypatch.setattr(column, "_GATES", stopped)
    assert column._through_gate(columns[0], pattern).to_list() == expected
    assert ran_on[-1] == threading.current_thread().name
