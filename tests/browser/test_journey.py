"""A Chinese-speaking complainant's first visit, in a real browser: register choosing 中文,
log out and back in, open a case, log what support promised, and find it on the timeline."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

EMAIL = "wang.fang@example.org"
PASSWORD = "冻结资产要回来 2026"
CASE_TITLE = "星链钱包提现被冻结"
PROMISE = "客服承诺三个工作日内解冻资产"


def register_in_chinese(page: Page, base_url: str) -> None:
    """Arrive on an English page, switch to 中文, and register choosing 中文."""
    page.goto(f"{base_url}/register")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("heading", name="创建账户")).to_be_visible()
    page.get_by_label("邮箱", exact=True).fill(EMAIL)
    page.get_by_label("您的姓名", exact=True).fill("王芳")
    page.get_by_label("密码（至少 10 个字符）", exact=True).fill(PASSWORD)
    page.get_by_label("确认密码", exact=True).fill(PASSWORD)
    page.get_by_label("语言", exact=True).select_option(label="中文")
    page.get_by_role("button", name="注册").click()


def log_out_and_back_in(page: Page) -> None:
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("status")).to_contain_text("您已退出登录。")
    page.get_by_label("邮箱", exact=True).fill(EMAIL)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def open_case(page: Page) -> None:
    page.get_by_role("link", name="新建案件").first.click()
    page.get_by_label("标题", exact=True).fill(CASE_TITLE)
    page.get_by_label("被投诉企业", exact=True).fill("星链钱包")
    page.get_by_label("问题类型", exact=True).select_option(label="资产被冻结")
    page.get_by_label("涉及金额", exact=True).fill("5000")
    page.get_by_label("币种", exact=True).fill("USDT")
    page.get_by_label("问题发生时间", exact=True).fill("2026-03-01T09:30")
    page.get_by_label("您的诉求", exact=True).fill("解冻全部资产，并书面说明冻结原因")
    page.get_by_label("事情经过", exact=True).fill("提现 5000 USDT 时账户被冻结，原因不明。")
    page.get_by_role("button", name="创建案件").click()


def log_the_promise(page: Page) -> None:
    page.get_by_role("link", name="添加联系记录").click()
    page.get_by_label("时间", exact=True).fill("2026-03-05T14:20")
    page.get_by_label("联系渠道", exact=True).select_option(label="在线客服")
    page.get_by_label("发起方", exact=True).select_option(label="我联系对方")
    page.get_by_label("工单号或参考编号", exact=True).fill("GD-20260305-8841")
    page.get_by_label("对接人（客服姓名或工号）", exact=True).fill("客服小王（工号 1024）")
    page.get_by_label("沟通内容及对方承诺", exact=True).fill(PROMISE)
    page.get_by_label("处理结果", exact=True).fill("等待解冻")
    page.get_by_label("跟进时间", exact=True).fill("2026-03-10T10:00")
    page.get_by_role("button", name="保存").click()


def test_chinese_user_logs_a_support_promise_and_sees_it_on_the_timeline(
    page: Page, live_server: str, console_errors: list[str], tmp_path: Path
):
    register_in_chinese(page, live_server)
    expect(page.get_by_role("heading", name="概览")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("欢迎！")

    log_out_and_back_in(page)
    expect(page.get_by_role("heading", name="概览")).to_be_visible()
    expect(page.get_by_role("link", name="王芳")).to_be_visible()

    open_case(page)
    expect(page.get_by_role("heading", name=CASE_TITLE)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("案件已创建")
    expect(page.get_by_text("冻结前后的余额")).to_be_visible()  # the frozen-assets checklist

    log_the_promise(page)
    expect(page.get_by_role("status")).to_contain_text("联系记录已添加。")
    contact = page.get_by_role("listitem").filter(has_text=PROMISE)
    expect(contact).to_contain_text("2026-03-05 14:20 +08:00")
    expect(contact).to_contain_text("在线客服")
    expect(contact).to_contain_text("我联系对方")
    expect(contact).to_contain_text("#GD-20260305-8841")
    expect(contact).to_contain_text("客服小王（工号 1024）")
    expect(contact).to_contain_text("等待解冻")
    expect(contact).to_contain_text("跟进期限：2026-03-10 10:00 +08:00")
    expect(page.get_by_text("时间均按 Asia/Shanghai 时区显示")).to_be_visible()

    page.screenshot(path=str(tmp_path / "journey.png"), full_page=True)
    assert console_errors == []
