"""Small steps shared by the browser journeys."""

from __future__ import annotations

from playwright.sync_api import Browser, BrowserContext, Page, expect

from shop.demo.seed import DEMO_PASSWORD

PHONE = {"width": 360, "height": 740}


def phone(browser: Browser) -> BrowserContext:
    """A fresh phone-sized browser (its own cookies) in Chinese and Beijing time."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    return context


def log_in(page: Page, base: str, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the log-in form and wait for the confirmation."""
    page.goto(base + "/account/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("main button[type=submit]").click()
    expect(page.get_by_text("登录成功。")).to_be_visible()


def sign_up(page: Page, base: str, name: str, email: str, password: str) -> None:
    """Create an account through the sign-up form."""
    page.goto(base + "/account/signup")
    page.fill("#display_name", name)
    page.fill("#email", email)
    page.fill("#password", password)
    page.fill("#confirm", password)
    page.locator("main button[type=submit]").click()
    expect(page.get_by_text(f"欢迎，{name}！您的账户已创建。")).to_be_visible()
