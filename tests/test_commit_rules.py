"""Who commits: views, CLI commands and a few units of work of their own; services and the rest only flush.

A first-party module may commit (``.commit``, or ``with x.begin():``, which commits on leaving the block)
only when it

- creates a Flask ``Blueprint(...)``: views, which includes webhooks, sign-in, admin and the language switch;
- defines click commands (``@click.command``, ``@<group>.command``, ``@click.group``): the CLI;
- is listed in :data:`EXCEPTIONS` with the reason it is a unit of work of its own.

Every other module (services, receivers, helpers) flushes and leaves the commit to its caller. Tests are not
scanned: they arrange data with commits of their own. See CONTRIBUTING.md ("Committing").
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Top-level directories that hold no first-party modules to check (tests arrange data; instance is config).
NOT_SCANNED = {"tests", "instance", "__pycache__"}

#: Modules that commit although they hold no blueprint and no command: path → why it is its own unit of work.
EXCEPTIONS = {
    "core/transactions.py": "run_unit_of_work: the retrying unit of work commits for the view or command",
    "core/notifications/delivery.py": "flush_outbox runs after the response, in an app context of its own",
    "orders/cart/receivers.py": "merge_on_login (user_logged_in receiver) commits the cart merge on its own, "
    "after the sign-in committed, so a failed merge never fails the sign-in",
    "migrations/env.py": "Alembic's environment: commits the migrations it ran when given an engine",
    "bench/checkout.py": "benchmark harness, not the app: seeds the checkout scenario's buyers and stock",
    "bench/flash.py": "benchmark harness, not the app: seeds the flash-sale race and moves its start",
    "bench/dashboards.py": "benchmark harness, not the app: resets and seeds the dashboards' bench databases",
    "bench/ledger_seed.py": "benchmark harness, not the app: seeds a large ledger for the dashboards bench",
    "bench/run.py": "benchmark harness, not the app: builds and resets the bench databases",
}


def first_party_modules(root: Path = ROOT) -> list[Path]:
    """Every Python file under ``root`` except tests, instance files, hidden directories and virtualenvs."""
    found = []
    for directory, subdirs, files in os.walk(root):
        here = Path(directory)
        subdirs[:] = sorted(
            name
            for name in subdirs
            if not name.startswith(".")
            and not (here == root and name in NOT_SCANNED)
            and name != "__pycache__"
            and not (here / name / "pyvenv.cfg").exists()
        )
        found += [here / name for name in sorted(files) if name.endswith(".py")]
    return found


def commits(tree: ast.AST) -> Iterator[int]:
    """Line numbers where ``tree`` commits: ``.commit`` (called or passed on) and ``with x.begin():``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "commit":
            yield node.lineno
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                expr = item.context_expr
                if (
                    isinstance(expr, ast.Call)
                    and isinstance(expr.func, ast.Attribute)
                    and expr.func.attr == "begin"
                ):
                    yield expr.lineno


def _name(node: ast.expr) -> str:
    """The last name of a decorator or callee: ``click.command(...)`` → ``command``."""
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Attribute):
        return target.attr
    return target.id if isinstance(target, ast.Name) else ""


def kind(tree: ast.AST) -> str | None:
    """``"views"`` if the module creates a Blueprint, ``"cli"`` if it defines click commands, else None."""
    nodes = list(ast.walk(tree))
    if any(isinstance(node, ast.Call) and _name(node) == "Blueprint" for node in nodes):
        return "views"
    for node in nodes:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
            _name(decorator) in ("command", "group") for decorator in node.decorator_list
        ):
            return "cli"
    return None


def offenders(paths: list[Path], root: Path = ROOT, exceptions: dict[str, str] = EXCEPTIONS) -> list[str]:
    """``path:line`` of every commit in a module that is neither views, CLI nor a listed exception."""
    found = []
    for path in paths:
        relative = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        if relative in exceptions or kind(tree) is not None:
            continue
        found += [f"{relative}:{line}" for line in sorted(set(commits(tree)))]
    return found


def test_only_views_cli_and_units_of_work_commit() -> None:
    assert offenders(first_party_modules()) == [], "services flush; the view, command or unit of work commits"


def test_every_exception_still_commits_and_needs_listing() -> None:
    for relative, why in EXCEPTIONS.items():
        path = ROOT / relative
        assert path.is_file(), f"{relative} is gone: drop it from EXCEPTIONS"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert list(commits(tree)), f"{relative} no longer commits: drop it from EXCEPTIONS"
        assert kind(tree) is None, (
            f"{relative} is {kind(tree)} and may commit anyway: drop it from EXCEPTIONS"
        )
        assert why


def test_scan_covers_every_package() -> None:
    scanned = {path.relative_to(ROOT).parts[0] for path in first_party_modules()}
    expected = {
        "core",
        "catalog",
        "traceability",
        "orders",
        "payments",
        "procurement",
        "stats",
        "settlement",
        "shop",
    }
    assert expected | {"bench", "migrations"} <= scanned
    assert not scanned & NOT_SCANNED


def test_checker_catches_a_committing_module(tmp_path: Path) -> None:
    (tmp_path / "catalog").mkdir()
    modules = {
        "catalog/services.py": "def approve(session):\n    session.add(1)\n    session.commit()\n",
        "catalog/helpers.py": "def f(engine):\n    with engine.begin() as c:\n        c.execute(1)\n",
        "catalog/hook.py": "def later(session):\n    return session.commit\n",
        "catalog/views.py": "from flask import Blueprint\nbp = Blueprint('x', __name__)\n"
        "@bp.post('/')\ndef v():\n    db_session.commit()\n",
        "catalog/cli.py": "import click\n@click.command('x')\ndef c():\n    db_session.commit()\n",
        "catalog/unit.py": "def work(session):\n    session.commit()\n",
        "catalog/nested.py": "def f(session):\n    with session.begin_nested():\n        session.flush()\n",
    }
    for relative, text in modules.items():
        (tmp_path / relative).write_text(text)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("def test(s):\n    s.commit()\n")
    paths = first_party_modules(tmp_path)
    assert tmp_path / "tests" / "test_x.py" not in paths
    found = offenders(paths, tmp_path, {"catalog/unit.py": "its own unit of work"})
    assert found == ["catalog/helpers.py:2", "catalog/hook.py:2", "catalog/services.py:3"]
