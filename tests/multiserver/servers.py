"""Real processes for the multi-server tests: a throwaway Redis, gunicorn app servers, and a small browser.

Everything listens on free loopback ports and is stopped by the context managers that start it, whatever
happens in between. Each app server runs with an environment of its own (its own temporary directory, as a
separate machine would have), the settings in common given explicitly.
"""

from __future__ import annotations

import contextlib
import os
import re
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
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

import redis

#: How long a server may take to answer its first health check (two cold starts on two busy cores).
START_SECONDS = 60


def free_port() -> int:
    """A loopback TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """Debian's ``redis-server`` on a free loopback port, nothing persisted; yields its URL."""
    executable = shutil.which("redis-server")
    if executable is None:
        raise RuntimeError("redis-server is missing: `make test` installs it (Debian package redis-server)")
    port = free_port()
    log = directory / "redis.log"
    command = [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    command += ["--dir", str(directory), "--logfile", str(log)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                text = log.read_text(errors="replace") if log.exists() else ""
                raise RuntimeError(f"redis-server did not start:\n{text}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class AppServer:
    """One gunicorn server of the shop: its base URL and its log file."""

    name: str
    url: str
    log: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def log_text(self) -> str:
        """Everything the server logged so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else "(no log)"


def status_of(url: str) -> int:
    """The status ``url`` answers a GET with (0 when nothing answers)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


@contextlib.contextmanager
def app_servers(names: list[str], env: dict[str, str], root: Path) -> Iterator[list[AppServer]]:
    """Start one gunicorn server (one sync worker) of ``shop:create_app()`` per name, all at once.

    Each gets ``env`` plus a temporary directory of its own under ``root/<name>`` (``TMPDIR``: nothing kept
    in one machine's temporary files is seen by the other). Yields once every server answers ``/healthz``;
    stops them all afterwards (SIGINT, then SIGKILL of the process group if one lingers).
    """
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    servers: list[AppServer] = []
    try:
        for name in names:
            home = root / name
            (home / "tmp").mkdir(parents=True)
            port = free_port()
            log = home / "server.log"
            command = [gunicorn, "-w", "1", "-b", f"127.0.0.1:{port}", "--graceful-timeout", "1"]
            command += ["--access-logfile", "-", "shop:create_app()"]
            with log.open("wb") as out:
                process = subprocess.Popen(
                    command,
                    env={**os.environ, **env, "TMPDIR": str(home / "tmp")},
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # master and worker in a group of their own, stopped together
                )
            servers.append(AppServer(name, f"http://127.0.0.1:{port}", log, process))
        deadline = time.monotonic() + START_SECONDS
        waiting = list(servers)
        while waiting:
            waiting = [s for s in waiting if status_of(s.url + "/healthz") != 200]
            stopped = [s for s in servers if s.process.poll() is not None]
            if stopped or time.monotonic() > deadline:
                logs = "\n".join(f"--- {s.name} ---\n{s.log_text()}" for s in servers)
                raise RuntimeError(f"app servers did not start:\n{logs}")
            time.sleep(0.1)
        yield servers
    finally:
        for server in servers:
            with contextlib.suppress(ProcessLookupError):
                server.process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 5
        for server in servers:
            try:
                server.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.process.pid, signal.SIGKILL)  # our own group: master and worker
                server.process.wait()


@dataclass
class Answer:
    """An HTTP answer: status, body text, headers."""

    status: int
    text: str
    headers: dict[str, str]

    @property
    def location(self) -> str:
        """Where a redirect points (empty if none)."""
        return self.headers.get("location", "")


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    """Hand redirects back to the caller instead of following them (a test wants to see the 302)."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


class Browser:
    """One person's browser behind the reverse proxy: its cookies, and the client address the proxy passes
    on (``X-Forwarded-For``; the servers trust one proxy). Any server may answer any request."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.cookies = CookieJar()
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _KeepRedirects
        )

    def request(self, url: str, form: dict[str, str] | None = None, accept: str = "text/html") -> Answer:
        """GET ``url``, or POST ``form`` to it; never raises for an HTTP status."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        headers = {"X-Forwarded-For": self.address, "Accept": accept, "Accept-Language": "zh-CN"}
        request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - loopback only
        try:
            with self._opener.open(request, timeout=30) as response:
                body, status, raw = response.read(), int(response.status), response.headers
        except urllib.error.HTTPError as exc:
            body, status, raw = exc.read(), int(exc.code), exc.headers
        return Answer(status, body.decode("utf-8", "replace"), {k.lower(): v for k, v in raw.items()})

    def csrf_token(self, url: str) -> str:
        """The CSRF token of the form on the page at ``url`` (which also starts this browser's session)."""
        page = self.request(url)
        assert page.status == 200, f"GET {url}: {page.status}\n{page.text[:2000]}"
        found = _CSRF.search(page.text)
        assert found, f"no CSRF token on {url}"
        return found.group(1) or found.group(2)

    def log_in(self, server: str, email: str, password: str) -> Answer:
        """Sign in through ``server``'s log-in form."""
        token = self.csrf_token(server + "/account/login")
        form = {"csrf_token": token, "email": email, "password": password, "next": ""}
        return self.request(server + "/account/login", form)
