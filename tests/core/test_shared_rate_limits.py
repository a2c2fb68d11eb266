"""The production profile counts log-in attempts in Redis, so every worker enforces one limit together.

Two gunicorn servers (one worker each, i.e. two processes as a multi-worker deployment has) share a throwaway
``redis-server`` on a loopback port. Wrong passwords sent alternately to both are refused with 429 once the
configured limit is reached *in total*; with ``memory://`` each process would allow the full limit.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask

from core.config import load_config
from tests.support import database_url

LIMIT = 4

needs_redis = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="needs Debian's redis-server (make test installs it)"
)


def free_port() -> int:
    """A loopback TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture()
def redis_server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A throwaway redis-server on a free loopback port, nothing persisted: ``(url, process)``."""
    port = free_port()
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    break
            assert server.poll() is None and time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0", server
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=10)


@contextlib.contextmanager
def gunicorn_servers(count: int, env: dict[str, str], log_dir: Path) -> Iterator[list[str]]:
    """Start ``count`` gunicorn servers of the shop (one worker each) at once; yields their base URLs once all
    answer ``/healthz``, and stops them all together afterwards."""
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    ports = [free_port() for _ in range(count)]
    processes = []
    for port in ports:
        with (log_dir / f"gunicorn-{port}.log").open("wb") as log:
            command = [gunicorn, "-w", "1", "-b", f"127.0.0.1:{port}", "shop:create_app()"]
            processes.append(
                subprocess.Popen(
                    command,
                    env={**os.environ, **env},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # master and worker in a group of their own, stopped together
                )
            )
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.monotonic() + 60
        waiting = list(urls)
        while waiting:
            waiting = [url for url in waiting if status(url + "/healthz") != 200]
            if any(p.poll() is not None for p in processes) or time.monotonic() > deadline:
                logs = "\n".join(f.read_text() for f in log_dir.glob("gunicorn-*.log"))
                raise RuntimeError(f"gunicorn did not start:\n{logs}")
            time.sleep(0.1)
        yield urls
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown: nothing is in flight any more
        deadline = time.monotonic() + 3
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # our own group: the master and its worker
                process.wait()


def status(url: str, form: dict[str, str] | None = None) -> int:
    """The status ``url`` answers (a POST of ``form`` if given; 0 when nothing answers)."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data)  # noqa: S310 - loopback only
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


@needs_redis
def test_two_workers_share_one_login_limit_through_redis(
    app: Flask, redis_server: tuple[str, subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    redis_url, redis_process = redis_server
    env = {
        "SHOP_SECRET_KEY": "shared-limits-secret-key-that-is-long-enough-0123",
        "SHOP_DATABASE_URL": app.config["DATABASE_URL"],  # migrated by the session's app; only read here
        "SHOP_UPLOAD_DIR": str(tmp_path / "uploads"),
        "SHOP_RATELIMIT_STORAGE_URL": redis_url,
        "SHOP_RATELIMIT_LOGIN": f"{LIMIT} per minute",
        "SHOP_WTF_CSRF_ENABLED": "false",  # this test is about counting, not forms
        "SHOP_SESSION_COOKIE_SECURE": "false",
        "SHOP_LOG_LEVEL": "WARNING",
    }
    wrong = {"email": "nobody@example.com", "password": "not-the-password"}
    with gunicorn_servers(2, env, tmp_path) as (first, second):
        statuses = [status(server + "/account/login", wrong) for server in (first, second) * 3]
        assert redis.Redis.from_url(redis_url).keys("LIMITS*"), "the counts live in Redis"
        redis_process.terminate()
        redis_process.wait(timeout=10)
        during_outage = status(first + "/account/login", wrong)

    assert statuses == [400] * LIMIT + [429] * (6 - LIMIT)
    assert during_outage == 400, "a Redis outage falls back to counting in memory, never a 500"


def test_the_production_profile_refuses_to_start_without_shared_limits(tmp_path: Path) -> None:
    """Outside debug/testing a storage must be named; memory:// is accepted only when asked for."""
    config = Flask("probe", instance_path=str(tmp_path))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHOP_SECRET_KEY", "s" * 40)
        patch.setenv("SHOP_DATABASE_URL", database_url(tmp_path / "unused.sqlite3"))
        with pytest.raises(RuntimeError, match="SHOP_RATELIMIT_STORAGE_URL=redis://"):
            load_config(config, None)
        patch.setenv("SHOP_RATELIMIT_STORAGE_URL", "redis://127.0.0.1:6379/0")
        load_config(config, None)
    assert config.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
