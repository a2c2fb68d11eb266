"""The tree is the architecture: packages in layers, one wiring point each, no cycles inside a package.

Layer order (each package imports only itself and the packages to its left):
``core ← catalog ← traceability ← orders ← payments ← procurement ← stats ← oversight ← settlement ← shop``.
Reactions that run against that order (a payment counted in the ledger, a recall reaching orders) go through
blinker signals received in the reacting package.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = (
    "core",
    "catalog",
    "traceability",
    "orders",
    "payments",
    "procurement",
    "promotions",
    "channels",
    "stats",
    "oversight",
    "settlement",
    "shop",
)
#: The only file names a package or sub-package may use, besides use-case modules named after what they do.
ROUTE_DECORATORS = {"route", "get", "post", "put", "patch", "delete"}
KIND_SUFFIXES = ("_views", "_forms", "_errors", "_models", "_queries", "_cli", "_receivers", "_services")


def module_name(path: Path) -> str:
    """``procurement/rfq/views.py`` → ``procurement.rfq.views``; a package's ``__init__`` is the package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_modules() -> list[tuple[str, Path]]:
    """Every Python module of every layer."""
    return [(layer, path) for layer in LAYERS for path in sorted((ROOT / layer).rglob("*.py"))]


MODULES = {module_name(path): path for _layer, path in layer_modules()}


def imported_names(path: Path) -> Iterator[tuple[str, str | None]]:
    """``(module, name)`` for every first-party import in ``path`` (anywhere in the module, lazily or not)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                yield node.module, alias.name


def first_party_imports(path: Path) -> set[str]:
    """Top-level first-party packages that ``path`` imports."""
    return {module.split(".")[0] for module, _name in imported_names(path) if module.split(".")[0] in LAYERS}


def module_dependencies(path: Path) -> set[str]:
    """First-party modules ``path`` depends on, as specific as the import says (``from a import b`` is the
    module ``a.b`` when ``b`` is a module, else ``a``)."""
    found = set()
    for module, name in imported_names(path):
        if module.split(".")[0] not in LAYERS:
            continue
        target = f"{module}.{name}" if name and f"{module}.{name}" in MODULES else module
        if target in MODULES:
            found.add(target)
    return found


def cycles_inside(package: str) -> list[list[str]]:
    """Import cycles among the modules of ``package`` (Tarjan's strongly connected components)."""
    graph = {
        name: {dep for dep in module_dependencies(path) if dep.split(".")[0] == package and dep != name}
        for name, path in MODULES.items()
        if name.split(".")[0] == package
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for dep in sorted(graph.get(node, ())):
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_layer_exists_and_has_one_wiring_point() -> None:
    for layer in LAYERS[:-1]:
        init = ROOT / layer / "__init__.py"
        assert init.is_file(), layer
        tree = ast.parse(init.read_text(encoding="utf-8"))
        functions = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
        assert functions == ["init_app"], f"{layer}/__init__.py should define init_app only, not {functions}"


def test_every_package_on_disk_is_a_layer() -> None:
    on_disk = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in {"tests", "bench", "migrations", "scripts"}
    }
    assert on_disk == set(LAYERS)


@pytest.mark.parametrize(
    ("layer", "path"), layer_modules(), ids=lambda v: str(v).replace(str(ROOT) + "/", "")
)
def test_module_imports_only_layers_to_its_left(layer: str, path: Path) -> None:
    allowed = set(LAYERS[: LAYERS.index(layer) + 1])
    forbidden = first_party_imports(path) - allowed
    assert not forbidden, (
        f"{path.relative_to(ROOT)} ({layer}) imports {sorted(forbidden)}, which sit to its right"
    )


@pytest.mark.parametrize("package", LAYERS)
def test_no_import_cycles_inside_a_package(package: str) -> None:
    assert cycles_inside(package) == []


def test_checker_catches_a_violation(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("def f():\n    from shop.models import User\n    import traceability.x\n")
    assert first_party_imports(module) == {"shop", "traceability"}


def test_cycle_checker_finds_a_cycle(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    first, second = tmp_path / "first.py", tmp_path / "second.py"
    first.write_text("from orders import second\n")
    second.write_text("def f():\n    from orders.first import x\n")
    monkeypatch.setitem(MODULES, "orders.first", first)
    monkeypatch.setitem(MODULES, "orders.second", second)
    assert ["orders.first", "orders.second"] in cycles_inside("orders")


def test_no_route_joins_a_blueprint_from_another_module() -> None:
    """Every ``@bp.<route>`` decorates a view of the module that created ``bp``: nothing joins by import."""
    offenders = []
    for _layer, path in layer_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            alias.asname or alias.name
            for node in tree.body
            if isinstance(node, ast.ImportFrom)
            for alias in node.names
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id in imported
                    and target.attr in ROUTE_DECORATORS
                ):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert offenders == []


def test_files_are_named_by_use_case_not_by_kind() -> None:
    """``rfq_views.py`` beside ``rfq_forms.py`` is the smell: a sub-package ``rfq/`` with ``views.py``."""
    offenders = [
        str(path.relative_to(ROOT)) for _layer, path in layer_modules() if path.stem.endswith(KIND_SUFFIXES)
    ]
    assert offenders == []


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
