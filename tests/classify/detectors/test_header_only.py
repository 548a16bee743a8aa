"""Categories known from what a column says it holds: biometric, financial account, minor."""

import polars as pl
import pytest

from dataport.classify import detector_for, scan_column

HEADERS = [
    ("biometric", "人脸特征值"),
    ("biometric", "fingerprint_template"),
    ("biometric", "声纹"),
    ("financial_account", "账户余额"),
    ("financial_account", "monthly_salary"),
    ("minor", "监护人姓名"),
    ("minor", "juvenile_flag"),
    ("health", "既往病史"),
    ("religion", "宗教信仰"),
    ("criminal_record", "违法记录"),
    ("location_trace", "行程轨迹"),
    ("sexual_orientation", "性取向"),
    ("ethnicity", "民族"),
]

NOT_THE_CATEGORY = [
    ("biometric", "face_value"),  # a bond's nominal value
    ("biometric", "surface_area"),
    ("financial_account", "流水号"),  # a serial number
    ("financial_account", "登录账号"),  # a login, not a bank account
    ("minor", "parent_id"),  # a tree structure
    ("ethnicity", "nationality"),  # citizenship
]


@pytest.mark.parametrize(("category", "header"), HEADERS)
def test_the_column_name_alone_reports_the_category(category: str, header: str) -> None:
    assert detector_for(category).vocabulary.matches(header)
    blobs = pl.Series(header, [b"\x00\x01", b"\x02\x03"], dtype=pl.Binary)
    assert category in scan_column(blobs).categories


@pytest.mark.parametrize(("category", "header"), NOT_THE_CATEGORY)
def test_look_alike_headers_are_not_the_category(category: str, header: str) -> None:
    assert not detector_for(category).vocabulary.matches(header)
