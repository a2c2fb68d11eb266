"""Configuration layers, the secret-key guard and an import without side effects."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shop import create_app

ROOT = Path(__file__).resolve().parents[2]


def test_refuses_to_start_without_real_secret_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    for key in ("", "dev", "short"):
        with pytest.raises(RuntimeError, match="secret key"):
            create_app({"SECRET_KEY": key, "DATABASE_URL": "sqlite://"})


def test_environment_overrides_with_shop_prefix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SHOP_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("SHOP_DATABASE_URL", f"sqlite:///{tmp_path}/env.sqlite3")
    monkeypatch.setenv("SHOP_RATELIMIT_STORAGE_URL", "memory://")
    monkeypatch.setenv("SHOP_PUBLIC_BASE_URL", "https://bangfu.example.cn")
    app = create_app()
    assert app.config["DATABASE_URL"].endswith("env.sqlite3")
    assert app.config["PUBLIC_BASE_URL"] == "https://bangfu.example.cn"
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    app.extensions["db"].engine.dispose()


def test_sqlite_default_lives_in_instance_folder() -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40})
    assert app.config["DATABASE_URL"] == f"sqlite:///{app.instance_path}/shop.sqlite3"
    assert app.config["UPLOAD_DIR"] == f"{app.instance_path}/uploads"


def test_sqlite_connections_enforce_foreign_keys_and_wal(tmp_path: Path) -> None:
    from core.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path}/p.sqlite3")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


def test_importing_the_app_has_no_side_effects(tmp_path: Path) -> None:
    code = (
        f"import os, sys; sys.path.insert(0, {str(ROOT)!r}); os.chdir({str(tmp_path)!r})\n"
        "import shop, shop.models, core.db, catalog.producers.models, shop.views\n"
        "print(sorted(os.listdir('.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"
