"""Small URL helpers shared by views."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import url_for


def safe_next_url(target: str | None, default_endpoint: str = "main.index") -> str:
    """Return ``target`` if it is a path on this site, else the default page (no open redirects)."""
    if target:
        parts = urlsplit(target)
        local = not parts.scheme and not parts.netloc and target.startswith("/")
        # "//host" and "/\\host" are protocol-relative to browsers.
        if local and not target.startswith("//") and "\\" not in target:
            return target
    return url_for(default_endpoint)
