"""The journeys over recorded transfers, end to end in Chromium against a real server and
database: the exporter's transfers, the regulator's dashboard and alerts, a spot check of
transfers, and tracing a leaked file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
from playwright.sync_api import Page, expect

from dataport.transfer import destinations
from tests.web.browser.conftest import screenshot, sign_in
from tests.web.world import PASSWORD, Console, Transfers


def _sent(console: Console) -> Transfers:
    assert console.transfers is not None
    return console.transfers


def test_exporter_follows_its_transfers_and_downloads_the_evidence(
    page: Page, live: tuple[str, Console], tmp_path: Path
) -> None:
    base, console = live
    sent = _sent(console)
    sign_in(page, base, console.a_officer, PASSWORD)
    page.get_by_role("link", name="出境传输").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("出境传输")
    expect(page.get_by_role("heading", name=re.compile("累计出境人数"))).to_be_visible()
    rows = page.locator("table.transfers tbody tr")
    expect(rows).to_have_count(len(sent.delivered) + 1)
    refused = page.locator("tr.row-refused")
    expect(refused).to_have_count(1)
    expect(refused.get_by_text("超出批准范围的列：电子邮箱")).to_be_visible()
    expect(page.get_by_text("beta-customers")).to_have_count(0)
    screenshot(page, "transfers")
    # The refusal, with its reasons and no package.
    refused.get_by_role("link").click()
    expect(page.get_by_role("heading", name="拒绝原因")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("下载收据"))).to_have_count(0)
    page.go_back()
    # A delivery: its receipt (inclusion proof) and its signed manifest download.
    page.locator("table.transfers tbody tr").filter(has_text="US").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Lakeshore Data Inc."))
    screenshot(page, "transfer")
    with page.expect_download() as receipt:
        page.get_by_role("link", name=re.compile("下载收据")).click()
    saved = tmp_path / "receipt.json"
    receipt.value.save_as(saved)
    body = json.loads(saved.read_text(encoding="utf-8"))
    assert body["inclusion_proof"]
    assert json.loads(body["entry"])["subject"]["id"] == str(sent.unusual)
    with page.expect_download() as manifest:
        page.get_by_role("link", name="下载数据包清单").click()
    manifest.value.save_as(tmp_path / "manifest.json")
    assert json.loads((tmp_path / "manifest.json").read_text())["transfer_id"] == str(sent.unusual)
    # Another company's transfer is absent, not forbidden.
    page.goto(f"{base}/console/transfers/{sent.b_transfer}")
    expect(page.get_by_role("heading", name="页面或记录不存在")).to_be_visible()
    expect(page.get_by_text("beta-customers")).to_have_count(0)


def test_regulator_dashboard_counts_the_recorded_transfers(
    page: Page, live: tuple[str, Console]
) -> None:
    base, console = live
    sign_in(page, base, console.reviewer, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("数据出境态势"))
    for chart in ("month", "country", "sector", "pathway"):
        expect(page.locator(f"#chart-{chart} canvas")).to_have_count(1)
    kpis = page.get_by_role("region", name="合计")
    expect(kpis.get_by_text("已交付传输")).to_be_visible()
    expect(kpis.locator(".kpi.bad")).to_have_count(1)  # refusals stand out
    refused = page.locator("table.refused tbody tr")
    expect(refused).to_have_count(2)
    expect(refused.filter(has_text="星海智能科技")).to_contain_text("超出批准字段")
    expect(refused.filter(has_text="Beta Robotics")).to_contain_text("缺少批准或备案")
    screenshot(page, "dashboard")
    refused.filter(has_text="星海智能科技").get_by_role("link").click()
    expect(page.get_by_role("heading", name="拒绝原因")).to_be_visible()
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Why it was refused")).to_be_visible()
    page.get_by_role("link", name="Flows dashboard").click()
    expect(page.get_by_text("Transfers delivered")).to_be_visible()


def test_regulator_is_alerted_to_a_transfer_outside_scope_and_an_unusual_volume(
    page: Page, live: tuple[str, Console]
) -> None:
    base, console = live
    sent = _sent(console)
    sign_in(page, base, console.reviewer, PASSWORD)
    page.get_by_role("link", name="预警").click()
    outside = page.locator("tbody tr").filter(has_text="超范围传输")
    expect(outside).to_have_count(2)
    expect(outside.filter(has_text="星海智能科技")).to_contain_text("超出批准范围的列")
    unusual = page.locator("tbody tr").filter(has_text="传输量异常")
    expect(unusual).to_have_count(1)
    expect(unusual).to_contain_text("5.0 倍")
    unusual.get_by_role("link", name="打开").click()
    expect(page).to_have_url(re.compile(f"/console/transfers/{sent.unusual}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("会员数据-全量"))


def test_spot_check_of_transfers_verifies_each_receipt_against_the_log(
    page: Page, live: tuple[str, Console]
) -> None:
    base, console = live
    sign_in(page, base, console.reviewer, PASSWORD)
    page.get_by_role("link", name="事后抽查").click()
    page.get_by_label("标题").fill("2026年出境传输抽查")
    page.get_by_label("抽查对象").select_option("transfer")
    page.get_by_role("button", name="公告并写入日志").click()
    expect(page.locator(".page-head .badge")).to_have_text("已公告")
    page.get_by_role("button", name="抽样并核验收据").click()
    expect(page.locator(".page-head .badge")).to_have_text("已抽样")
    sample = page.locator("table.sample tbody tr")
    expect(sample).to_have_count(5)
    expect(page.locator("table.sample .badge.ok")).to_have_count(5)
    expect(sample.first.get_by_text("transfer.delivered")).to_be_visible()
    # The record behind each receipt was held to it.
    sample.first.get_by_text(re.compile("通过 \\d+ 项检查")).click()
    expect(sample.first.get_by_text("传输记录与已证明的日志条目一致")).to_be_visible()
    sample.first.get_by_label("要求提供材料").fill("请提供该次传输的数据包签收记录。")
    sample.first.get_by_role("button", name="发送要求").click()
    expect(page.get_by_text("等待出境方答复")).to_be_visible()
    for row in range(5):
        page.locator("table.sample tbody tr").nth(row).get_by_role("button", name="记录").click()
    screenshot(page, "spot-check")
    page.get_by_label("抽查结论").fill("抽查的 5 次传输收据均核验通过，记录与日志一致。")
    page.get_by_role("button", name="结束并写入日志").click()
    expect(page.locator(".page-head .badge")).to_have_text("已结束")
    page.locator("table.sample tbody tr").first.get_by_role("link", name="查看传输").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(" → ")
    expect(page.locator(".page-head .badge").first).to_have_text("已交付")


def test_regulator_traces_a_leaked_file_to_its_transfer_and_recipient(
    page: Page, live: tuple[str, Console], tmp_path: Path
) -> None:
    base, console = live
    sent = _sent(console)
    sign_in(page, base, console.reviewer, PASSWORD)
    page.get_by_role("link", name="泄露溯源").click()
    field = page.get_by_label("疑似泄露文件")
    # No file, then a file that is not data: each refused beside the field.
    page.get_by_role("button", name="溯源").click()
    expect(page.locator("#e-file")).to_have_text("请选择要上传的文件")
    expect(field).to_have_attribute("aria-invalid", "true")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 this is not parquet")
    field.set_input_files(broken)
    page.get_by_role("button", name="溯源").click()
    expect(page.locator("#e-file")).to_contain_text("broken.parquet 既不是可读取的 Parquet")
    # A sample of the Singapore delivery, some rows and two columns, shuffled.
    (data,) = sent.outbox.rglob(f"{destinations.package_name(str(sent.delivered[1]))}/data/*")
    leak = tmp_path / "found-online.csv"
    pl.read_parquet(data).sample(fraction=0.2, seed=5, shuffle=True).select(
        "会员等级", "手机号"
    ).write_csv(leak)
    page.get_by_label("疑似泄露文件").set_input_files(leak)
    page.get_by_role("button", name="溯源").click()
    result = page.locator(".trace-result")
    expect(result.get_by_text("已匹配")).to_be_visible()
    expect(result).to_contain_text("Lion City Insights Pte. Ltd.")
    expect(result).to_contain_text("星海智能科技")
    screenshot(page, "trace")
    result.get_by_role("link", name=str(sent.delivered[1])).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Lion City"))
