"""Reading a suspected leak: whatever a spreadsheet re-saved it as."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataport.errors import InvalidInput
from dataport.transfer.trace import read_leak

TEXT = "手机号,会员等级\n" + "138****5678,金卡\n" * 3000


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("gbk.csv", TEXT.encode("gbk")),
        ("unicode.txt", TEXT.replace(",", "\t").encode("utf-16")),
        ("bom.csv", b"\xef\xbb\xbf" + TEXT.encode()),
    ],
)
def test_a_leak_is_read_in_the_encoding_it_was_saved_in(
    tmp_path: Path, name: str, data: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    frame = read_leak(path)
    assert frame.columns == ["手机号", "会员等级"]
    assert frame.row(0) == ("138****5678", "金卡")
    assert frame.height == 3000


@pytest.mark.parametrize("lines", [3_000, 120_000])
def test_a_damaged_leak_names_its_line(tmp_path: Path, lines: int) -> None:
    # Small, the damage is in the first megabyte the encoding is told from; large, past it.
    data = ("手机号,会员等级\n" + "138****5678,金卡\n" * lines).encode("gbk")
    cut = data.index(b"\n", len(data) * 3 // 4) + 1  # the start of a line far in
    path = tmp_path / "damaged.csv"
    path.write_bytes(data[:cut] + b"\x81\x20" + data[cut:])
    line = data[:cut].count(b"\n") + 1
    found = f"GB18030 at line {line}" if cut < 1 << 20 else f"line {line} is not valid gb18030"
    with pytest.raises(InvalidInput, match=found):
        read_leak(path)
