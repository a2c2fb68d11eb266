"""Start gunicorn on a free loopback port for the length of a ``with`` block, and always stop it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Gunicorn:
    """``with Gunicorn("pkg.module:app", ["-w", "2"], env, log) as server: server.url("/")``."""

    def __init__(self, app: str, args: list[str], env: dict[str, str], log: Path) -> None:
        """Remember what to start; nothing runs until the block is entered."""
        self.app, self.args, self.env, self.log = app, args, env, log
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    @staticmethod
    def status(url: str) -> int:
        """The HTTP status ``url`` answers with (0 when nothing answers)."""
        try:
            with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except OSError:
            return 0

    def __enter__(self) -> Gunicorn:
        """Start the server and wait until it answers (at most 60 s)."""
        self.port = free_port()
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        command = [gunicorn, *self.args, "-b", f"127.0.0.1:{self.port}", "--chdir", str(ROOT), self.app]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed argv
                command,
                cwd=ROOT,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + 60
            while self.status(self.url("/")) == 0:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"gunicorn {self.app} did not start; see {self.log}:\n{self.log.read_text()}"
                    )
                time.sleep(0.2)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the master and its workers (TERM, then KILL the whole process group)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # any worker left behind

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Always stop the server."""
        self.stop()
