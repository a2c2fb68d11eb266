"""Run ``wrk`` in a subprocess and parse its ``--latency`` report."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

#: wrk's absolute path (Debian package ``wrk``); the bare name when it is missing, so the error says so.
WRK = shutil.which("wrk") or "wrk"
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
_DURATION = re.compile(r"([\d.]+)(us|ms|s|m)$")


def _ms(text: str) -> float:
    """A wrk duration such as ``812.00us`` or ``1.20s`` in milliseconds."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse(output: str) -> dict[str, Any]:
    """Requests/sec, p50 and p99 (ms), and errors (socket errors + non-2xx/3xx) from wrk's output."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    total = re.search(r"^\s+(\d+) requests in", output, re.M)
    if not (rps and p50 and p99 and total):
        raise ValueError("unexpected wrk output:\n" + output)
    errors, detail = 0, []
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if socket:
        errors += sum(int(n) for n in socket.groups())
        detail.append(socket.group(0))
    non_ok = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_ok:
        errors += int(non_ok.group(1))
        detail.append(non_ok.group(0))
    return {
        "rps": float(rps.group(1)),
        "p50_ms": round(_ms(p50.group(1)), 3),
        "p99_ms": round(_ms(p99.group(1)), 3),
        "requests": int(total.group(1)),
        "errors": errors,
        "error_detail": "; ".join(detail),
    }


def run(
    url: str,
    *,
    threads: int,
    connections: int,
    seconds: int,
    script: Path | None = None,
    timeout: int | None = None,
) -> dict[str, Any]:
    """Drive ``url`` with wrk (optionally with a Lua ``script``) and return the parsed figures.

    The figures carry wrk's whole report as ``output`` when a script ran (its ``done`` may print more).
    """
    command = [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    if timeout is not None:
        command += ["--timeout", f"{timeout}s"]
    done = subprocess.run(  # noqa: S603 - fixed argv to a loopback URL
        [*command, url], capture_output=True, text=True, timeout=seconds + 60, check=True
    )
    figures = parse(done.stdout)
    if script is not None:
        figures["output"] = done.stdout
    return figures
