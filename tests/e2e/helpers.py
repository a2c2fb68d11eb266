"""Small steps shared by the browser journeys."""

from __future__ import annotations

from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from core.models import User
from core.notifications.models import Notification
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


#: The live server's database (set by the ``live_app`` fixture): where the e-mailed confirmation links are.
LIVE_DATABASE: list[Engine] = []


def confirmation_link(email: str) -> str:
    """The path of the newest confirmation link e-mailed to ``email`` (the outbox stands in for a mailbox)."""
    with Session(LIVE_DATABASE[0]) as session:
        link = session.scalars(
            select(Notification.link)
            .join(User, User.id == Notification.user_id)
            .where(User.email == email, Notification.kind == "account.confirm_email")
            .order_by(Notification.id.desc())
        ).first()
    assert link, f"no confirmation link was e-mailed to {email}"
    return link


def sign_up(page: Page, base: str, name: str, email: str, password: str) -> None:
    """Create an account through the sign-up form, sign in and confirm the address with the e-mailed link."""
    page.goto(base + "/account/signup")
    page.fill("#display_name", name)
    page.fill("#email", email)
    page.fill("#password", password)
    page.fill("#confirm", password)
    page.locator("main button[type=submit]").click()
    expect(page.get_by_text(f"我们已向 {email} 发送了一封邮件")).to_be_visible()
    log_in(page, base, email, password)
    page.goto(base + confirmation_link(email))
    expect(page.get_by_text("您的电子邮箱地址已确认。")).to_be_visible()
