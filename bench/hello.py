"""A bare Flask "hello world": the reference for what this stack can serve at best."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    """Answer with a constant string."""
    return "Hello, World!"
