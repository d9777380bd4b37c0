"""docs/architecture.md stays true: rooms import only rooms below them, ``import finops`` stays light,
every mart is documented, and modules and functions stay small enough to read."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "finops"
ARCHITECTURE = ROOT / "docs" / "architecture.md"

# The layering of docs/architecture.md, lowest first; rooms on one level may import each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "resources"),
    ("config",),
    ("warehouse",),
    ("models",),
    ("connectors",),
    ("savings",),
    ("report",),
    ("engines",),
    ("ops",),
    ("demo",),
    ("cli",),
)
RANK = {room: level for level, rooms in enumerate(LAYERS) for room in rooms}
FLAT_MODULE_ROOMS = {"errors", "resources"}  # rooms that are a single module, finops/<room>.py
# The package root re-exports the library API from rooms up to report; ``python -m finops`` is the CLI.
ROOT_MODULE_ROOMS = {"finops": "report", "finops.__main__": "cli"}

MAX_FLAT_MODULES = 8
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80

def package_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def module_name(path: Path) -> str:
    """``finops/warehouse/loads.py`` -> ``finops.warehouse.loads``; a package is its ``__init__``."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def room_of(module: str) -> str:
    """The room a dotted ``finops`` module belongs to: the folder (or flat module) under finops/."""
    if module in ROOT_MODULE_ROOMS:
        return ROOT_MODULE_ROOMS[module]
    return module.split(".")[1]


def _resolve_relative(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module a ``from .x import y`` names, as Python resolves it."""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def finops_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every finops import in ``path``, module-level and inside functions alike.

    ``from finops import x`` names ``finops.x`` when x is a module or room, so it counts as that room.
    """
    module, is_package = module_name(path), path.name == "__init__.py"
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve_relative(module, is_package, node) if node.level else node.module or ""
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                is_module = (ROOT / submodule.replace(".", "/")).is_dir() or (
                    ROOT / (submodule.replace(".", "/") + ".py")).is_file()
                found.append((node.lineno, submodule if is_module else target))
    return [(line, name) for line, name in found if name == "finops" or name.startswith("finops.")]


@pytest.mark.parametrize("path", package_modules(), ids=relative)
def test_rooms_import_only_rooms_below_them(path: Path) -> None:
    room = room_of(module_name(path))
    upward = [f"{relative(path)}:{line} ({room}) imports {name} ({room_of(name)})"
              for line, name in finops_imports(path) if RANK[room_of(name)] > RANK[room]]
    assert not upward, "a room imports a room above it:\n" + "\n".join(upward)


def test_every_module_belongs_to_a_room() -> None:
    unknown = [relative(p) for p in package_modules() if room_of(module_name(p)) not in RANK]
    assert not unknown, f"modules outside every room of LAYERS: {unknown}"


def test_the_doc_lists_the_same_layering() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.strip().startswith("errors") and " < " in line)
    documented = tuple(tuple(room.strip() for room in level.split(",")) for level in line.split("<"))
    assert documented == LAYERS


def test_the_doc_lists_every_room_and_each_exists() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    documented = set(re.findall(r"`finops/([a-z_]+)/`", text))
    folder_rooms = set(RANK) - FLAT_MODULE_ROOMS
    assert documented == folder_rooms
    assert all((PACKAGE / room / "__init__.py").is_file() for room in folder_rooms)
    assert all((PACKAGE / f"{room}.py").is_file() for room in FLAT_MODULE_ROOMS)
    rooms_on_disk = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert rooms_on_disk == folder_rooms, "a package folder that is no room of LAYERS (or a room that is gone)"
    beside = set(re.findall(r"^\| `([a-z_]+)/` \|", text, flags=re.MULTILINE))
    assert beside == {"sql", "reports", "tests", "fixtures", "bench"}
    assert all((ROOT / folder).is_dir() for folder in beside)


def test_import_finops_stays_light() -> None:
    """The library API must not drag in the demo generators, the CLI, other engines or cloud clients."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, finops; print('\\n'.join(sorted(sys.modules)))"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, check=True,
    ).stdout.split()
    assert "finops.connectors.ingest" in loaded  # the check is looking at the right process
    forbidden = ("finops.demo", "finops.cli", "finops.engines", "pyspark", "google")
    heavy = [m for m in loaded if any(m == f or m.startswith(f + ".") for f in forbidden)
             or (m.startswith("finops.") and m.rsplit(".", 1)[-1].startswith("generate"))]
    assert not heavy, f"import finops loads {heavy}"


def test_every_mart_is_documented() -> None:
    docs = "\n".join((ROOT / "docs" / name).read_text(encoding="utf-8") for name in ("tables.md", "schema.md"))
    marts = sorted(p.stem for p in (ROOT / "sql" / "marts").glob("*.sql"))
    assert "costs" in marts
    missing = [m for m in marts if not re.search(rf"\b{m}\b", docs)]
    assert not missing, f"marts named in neither docs/tables.md nor docs/schema.md: {missing}"


def test_few_modules_stay_flat_in_the_package() -> None:
    flat = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(flat) <= MAX_FLAT_MODULES, f"{len(flat)} modules flat in finops/, move some into a room: {flat}"


@pytest.mark.parametrize("path", package_modules(), ids=relative)
def test_module_is_under_600_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines < MAX_MODULE_LINES, f"{relative(path)} has {lines} lines (limit {MAX_MODULE_LINES - 1})"


@pytest.mark.parametrize("path", package_modules(), ids=relative)
def test_functions_are_at_most_80_lines(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    long = [f"{relative(path)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, "functions over 80 lines:\n" + "\n".join(long)


def test_every_registered_source_kind_is_documented() -> None:
    from finops.connectors.registry import SOURCE_KINDS

    cli_doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    undocumented = [kind for kind in SOURCE_KINDS if f"## finops ingest {kind}\n" not in cli_doc]
    assert SOURCE_KINDS and not undocumented, f"source kinds without a section in docs/cli.md: {undocumented}"
    assert all(kind.summary and kind.example.startswith(f"finops ingest {kind.name}") for kind in SOURCE_KINDS.values())
