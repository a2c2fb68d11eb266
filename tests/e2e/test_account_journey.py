"""A visitor signs up, signs out, signs in, switches language — on a phone, in real Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from shop.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD
from tests.e2e.helpers import confirmation_link

pytestmark = pytest.mark.e2e


def test_sign_up_log_in_and_switch_language(page: Page, live_server: str) -> None:
    page.goto(live_server + "/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_have_text("买脱贫地区的好产品")
    # Chinese glyphs really render (not tofu): the heading has a real width in the CJK font
    box = page.get_by_role("heading", level=1).bounding_box()
    assert box is not None and box["width"] > 100

    page.get_by_role("link", name="注册").first.click()
    page.get_by_label("姓名").fill("李娜")
    page.get_by_label("电子邮箱").fill("li.na@example.com")
    page.get_by_label("密码", exact=True).fill("short")
    page.get_by_label("再次输入密码").fill("short")
    page.get_by_role("button", name="注册").click()
    expect(page.get_by_text("请更正标出的字段。")).to_be_visible()

    page.get_by_label("密码", exact=True).fill("li-na-secret-2026")
    page.get_by_label("再次输入密码").fill("li-na-secret-2026")
    page.get_by_role("button", name="注册").click()
    # the same answer whether or not the address had an account: the new account signs in next
    expect(page.get_by_text("我们已向 li.na@example.com 发送了一封邮件")).to_be_visible()

    page.get_by_label("电子邮箱").fill("li.na@example.com")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("电子邮箱或密码不正确。")).to_be_visible()
    page.get_by_label("密码").fill("li-na-secret-2026")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("登录成功。")).to_be_visible()

    page.goto(live_server + "/account/")
    expect(page.get_by_text("未确认")).to_be_visible()
    page.goto(live_server + confirmation_link("li.na@example.com"))
    expect(page.get_by_text("您的电子邮箱地址已确认。")).to_be_visible()

    page.locator("summary", has_text="李娜").click()
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_text("已退出登录。")).to_be_visible()
    page.get_by_role("link", name="登录").first.click()
    page.get_by_label("电子邮箱").fill("li.na@example.com")
    page.get_by_label("密码").fill("li-na-secret-2026")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("登录成功。")).to_be_visible()

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Buy from the counties that left poverty behind"
    )
    page.goto(live_server + "/account/")
    expect(page.get_by_role("heading", name="My account")).to_be_visible()
    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("heading", name="我的账户")).to_be_visible()


@pytest.mark.parametrize("account", DEMO_ACCOUNTS, ids=lambda a: a.email.split("@")[0])
def test_every_demo_role_can_sign_in(page: Page, live_server: str, account: object) -> None:
    page.goto(live_server + "/account/login")
    page.get_by_label("电子邮箱").fill(account.email)  # type: ignore[attr-defined]
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("登录成功。")).to_be_visible()
    page.goto(live_server + "/account/")
    expect(page.get_by_role("heading", name="角色")).to_be_visible()


def test_pages_work_without_javascript(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(live_server + "/")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Buy from the counties"))
    context.close()


def test_layout_fits_a_phone_and_a_desktop(page: Page, desktop_page: Page, live_server: str) -> None:
    for p, width in ((page, 360), (desktop_page, 1280)):
        p.goto(live_server + "/")
        scroll_width = p.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"horizontal scroll at {width}px"
        expect(p.locator(".county-card")).to_have_count(3)


def test_every_main_menu_link_is_on_screen_on_a_phone_in_both_languages(page: Page, live_server: str) -> None:
    """Issue 16: at 360 px the main menu wraps instead of running off the screen (nothing cut off, nothing
    reachable only by scrolling the menu sideways)."""
    page.goto(live_server + "/")
    for language in ("中文", "English"):
        page.get_by_role("button", name=language).click()
        links = page.locator("nav.site-nav a")
        expect(links).to_have_count(6)
        for index in range(6):
            box = links.nth(index).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360, (
                language,
                index,
                box,
            )
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
