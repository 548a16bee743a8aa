"""Each journey of the console, end to end in Chromium against a real server and database."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.web.browser.conftest import screenshot, sign_in
from tests.web.world import PASSWORD, Console


def test_exporter_assesses_applies_and_sees_its_thresholds(
    page: Page, live: tuple[str, Console]
) -> None:
    base, console = live
    sign_in(page, base, console.a_officer, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("星海智能科技")
    expect(page.get_by_text("个人信息 100,000 人")).to_be_visible()
    # What-if: bad input gets its message beside the field; good input gets a decision.
    page.get_by_role("link", name="出境路径评估").click()
    page.get_by_label("接收方所在国家/地区").fill("Germany")
    page.get_by_label("个人信息涉及人数", exact=True).first.fill("150000")
    page.get_by_role("button", name="评估").click()
    expect(page.locator("#e-recipient_country")).to_be_visible()
    expect(page.get_by_label("接收方所在国家/地区")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("接收方所在国家/地区").fill("DE")
    page.get_by_role("button", name="评估").click()
    expect(page.locator(".verdict-value")).to_have_text(re.compile("标准合同"))
    expect(page.get_by_role("heading", name="依据")).to_be_visible()
    # Apply: a missing retention is named beside its field, then the application goes in.
    page.get_by_role("link", name="申报", exact=True).click()
    page.get_by_role("link", name="新建申报").click()
    page.get_by_label("数据集").select_option(label="车主数据")
    page.get_by_label("境外接收方").fill("Rheinwerk Analytics GmbH")
    page.get_by_label("个人信息涉及人数", exact=True).fill("150000")
    page.get_by_label("境外存储地点").fill("Frankfurt am Main")
    page.get_by_role("button", name="提交申报").click()
    expect(page.locator("#e-retention")).to_have_text("请说明境外接收方的保存期限")
    page.get_by_label("境外保存期限").fill("2年")
    page.get_by_role("button", name="提交申报").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("申报卷宗"))
    expect(page.get_by_text("标准合同备案审查")).to_be_visible()
    # Datasets: its own only; another company's never.
    page.get_by_role("link", name="数据集").click()
    expect(page.get_by_role("link", name="车主数据")).to_be_visible()
    expect(page.get_by_text("beta-secret-telemetry")).to_have_count(0)
    # English by the toggle; every text follows.
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Datasets")


def test_regulator_reviews_from_the_queue_and_approves_with_a_scope(
    page: Page, live: tuple[str, Console]
) -> None:
    base, console = live
    sign_in(page, base, console.reviewer, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("数据出境态势"))
    expect(page.locator("#chart-month canvas")).to_have_count(1)
    expect(page.locator("#chart-country canvas")).to_have_count(1)
    page.get_by_role("link", name="审核队列").click()
    expect(page.get_by_role("link", name="beta-secret-telemetry")).to_be_visible()
    screenshot(page, "review-queue")
    page.get_by_role("link", name="beta-secret-telemetry").click()
    expect(page.get_by_text("省级网信部门完备性查验")).to_be_visible()
    page.get_by_role("button", name="确认材料齐全").click()
    page.get_by_role("button", name="受理", exact=True).click()
    expect(page.locator(".page-head .badge").first).to_have_text("已受理")
    page.get_by_label("个人信息人数上限", exact=True).fill("many")
    page.get_by_role("button", name="批准（设定范围）").click()
    expect(page.locator("#e-max_individuals")).to_have_text("请输入非负整数")
    page.get_by_label("个人信息人数上限", exact=True).fill("1000000")
    page.get_by_role("button", name="批准（设定范围）").click()
    expect(page.locator(".page-head .badge").first).to_have_text("已通过")
    expect(page.get_by_text("1,000,000")).to_be_visible()
    # Alerts and the rule packs in force are there to read.
    page.get_by_role("link", name="预警").click()
    expect(page.get_by_text("申报不予通过").first).to_be_visible()
    page.get_by_role("link", name="规则包与清单").click()
    page.get_by_role("link", name="cn-sh-lingang-general-data-list@2024.05.17").click()
    expect(page.get_by_text("智能网联汽车").first).to_be_visible()


def test_spot_check_from_announcement_to_conclusion(page: Page, live: tuple[str, Console]) -> None:
    base, console = live
    sign_in(page, base, console.reviewer, PASSWORD)
    page.get_by_role("link", name="事后抽查").click()
    page.get_by_label("标题").fill("2026年第四季度出境申报抽查")
    page.get_by_label("抽查对象").select_option("application")
    page.get_by_label("抽样数量").fill("0")
    page.get_by_role("button", name="公告并写入日志").click()
    expect(page.locator("#e-sample_size")).to_be_visible()
    page.get_by_label("抽样数量").fill("3")
    page.get_by_role("button", name="公告并写入日志").click()
    expect(page.locator(".page-head .badge")).to_have_text("已公告")
    page.get_by_role("button", name="抽样并核验收据").click()
    expect(page.locator(".page-head .badge")).to_have_text("已抽样")
    expect(page.locator("table.sample .badge.ok")).to_have_count(3)
    expect(page.get_by_text("随机种子")).to_be_visible()
    # Ask the first exporter in the sample for evidence.
    first = page.locator("table.sample tbody tr").first
    first.get_by_label("要求提供材料").fill(
        "请提供与境外接收方签订的标准合同及个人信息保护影响评估报告。"
    )
    first.get_by_role("button", name="发送要求").click()
    expect(page.get_by_text("等待出境方答复")).to_be_visible()
    for row in range(3):
        line = page.locator("table.sample tbody tr").nth(row)
        line.get_by_role("button", name="记录").click()
    page.get_by_role("button", name="结束并写入日志").click()
    expect(page.locator("#e-conclusion")).to_be_visible()
    page.get_by_label("抽查结论").fill("抽查的 3 项收据均核验通过，未发现超范围出境。")
    page.get_by_role("button", name="结束并写入日志").click()
    expect(page.locator(".page-head .badge")).to_have_text("已结束")
    expect(page.get_by_text("结论已写入证据日志")).to_be_visible()


def test_people_without_the_role_see_no_regulator_page(
    page: Page, live: tuple[str, Console]
) -> None:
    base, console = live
    sign_in(page, base, console.a_officer, PASSWORD)
    expect(page.get_by_role("link", name="审核队列")).to_have_count(0)
    page.goto(f"{base}/console/supervision")
    expect(page.get_by_role("heading", name="无权访问此页面")).to_be_visible()
    expect(page.get_by_role("heading", name="You may not open this page")).to_be_visible()
    page.goto(f"{base}/console/datasets/{console.b_dataset_id}")
    expect(page.get_by_role("heading", name="页面或记录不存在")).to_be_visible()
    # Keyboard: the first Tab reaches the skip link, which is visible when focused.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="跳至正文")).to_be_focused()
    expect(page.get_by_role("link", name="跳至正文")).to_be_in_viewport()


def test_wrong_password_is_refused_beside_the_field(page: Page, live: tuple[str, Console]) -> None:
    base, console = live
    sign_in(page, base, console.reviewer, "not the password")
    expect(page.locator("#e-password")).to_have_text("电子邮件或密码错误")
    expect(page.get_by_role("link", name="审核队列")).to_have_count(0)
