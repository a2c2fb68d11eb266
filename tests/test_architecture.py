"""The layers import only to their left: core ← catalog ← traceability ← shop."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("core", "catalog", "traceability", "shop")


def first_party_imports(path: Path) -> set[str]:
    """Top-level first-party packages that ``path`` imports (anywhere in the module, lazily or not)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in LAYERS)
    return found


def layer_modules() -> list[tuple[str, Path]]:
    """Every Python module of every layer."""
    return [(layer, path) for layer in LAYERS for path in sorted((ROOT / layer).rglob("*.py"))]


def test_every_layer_exists() -> None:
    for layer in LAYERS:
        assert (ROOT / layer / "__init__.py").is_file(), layer


@pytest.mark.parametrize(
    ("layer", "path"), layer_modules(), ids=lambda v: str(v).replace(str(ROOT) + "/", "")
)
def test_module_imports_only_layers_to_its_left(layer: str, path: Path) -> None:
    allowed = set(LAYERS[: LAYERS.index(layer) + 1])
    forbidden = first_party_imports(path) - allowed
    assert not forbidden, (
        f"{path.relative_to(ROOT)} ({layer}) imports {sorted(forbidden)}, which sit to its right"
    )


def test_checker_catches_a_violation(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("def f():\n    from shop.models import User\n    import traceability.x\n")
    assert first_party_imports(module) == {"shop", "traceability"}


def test_services_never_commit() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for _layer, path in layer_modules()
        if (
            path.name == "services.py"
            or path.parent.name == "services"
            or path.name in {"accounts.py", "regions.py"}
        )
        and ".commit()" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
