"""The shape of the package: layers import downwards only, no module circle, small modules.

Every import counts, including those inside functions and under TYPE_CHECKING: a lazy
import that climbs a layer is still a circle in the design, only a later one at run time.
The checker is tried on a small tree with known faults first, so it is known to catch them.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import companion

ROOT = Path(companion.__file__).parent

# Lowest first. A package may import its own modules and anything in a lower layer;
# packages that share a layer stay out of each other (only the leaves may share).
LAYERS: list[set[str]] = [
    {"companion", "config", "paths", "domain", "errors", "logs", "i18n"},  # leaves
    {"vault", "engine"},
    {"models"},  # the pin ties a model file to a vault and a loaded engine
    {"care", "memory"},
    {"conversation"},
    {"ui"},
    {"cli"},
    {"__main__"},
]
LEAVES = LAYERS[0]
TOP_LEVEL_MODULES = {"__init__.py", "__main__.py", "config.py", "paths.py", "domain.py",
                     "errors.py", "logs.py", "i18n.py"}
MAX_LINES = 400
OWNERS = {"textual": {"ui"}, "textual_serve": {"ui"}, "llama_cpp": {"engine.llama"}}


def modules(root: Path) -> dict[str, Path]:
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(root: Path) -> dict[str, set[str]]:
    """Module → the modules of the same package it imports (anywhere in its body)."""
    known = modules(root)
    base = root.name

    def resolve(name: str) -> str:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name

    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in known.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            for target in targets:
                if target == base or target.startswith(base + "."):
                    graph[name].add(resolve(target))
                else:
                    graph[name].add("!" + target)  # outside the package, e.g. textual
    return graph


def top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def rank(package: str) -> int:
    for level, members in enumerate(LAYERS):
        if package in members:
            return level
    raise AssertionError(f"{package} is in no layer; add it to LAYERS in {__file__}")


def upward(root: Path) -> list[str]:
    problems = []
    for source, targets in imports(root).items():
        for target in sorted(targets):
            if target.startswith("!"):
                continue
            a, b = top(source), top(target)
            if a == b or (a in LEAVES and b in LEAVES):
                continue
            if rank(b) >= rank(a):
                problems.append(f"{source} imports {target} ({a} may not import {b})")
    return problems


def cycles(root: Path) -> list[list[str]]:
    graph = {k: {t for t in v if not t.startswith("!")} for k, v in imports(root).items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1 or v in graph.get(v, ()):
                found.append(sorted(group))

    for v in sorted(modules(root)):
        if v not in index:
            visit(v)
    return found


def foreign(root: Path) -> list[str]:
    """Textual and llama_cpp only in the modules that own them."""
    problems = []
    base = root.name
    for source, targets in imports(root).items():
        inner = source[len(base) + 1:]
        for target in targets:
            if not target.startswith("!"):
                continue
            lib = target[1:].split(".")[0]
            owners = OWNERS.get(lib)
            if owners and not any(inner == o or inner.startswith(o + ".") for o in owners):
                problems.append(f"{source} imports {lib}")
    return problems


def test_the_checker_catches_an_upward_import_and_a_circle(tmp_path: Path) -> None:
    pkg = tmp_path / "companion"
    for rel, text in {
        "__init__.py": "",
        "vault/__init__.py": "",
        "vault/store.py": "def f():\n    from companion.ui import app\n",
        "ui/__init__.py": "",
        "ui/app.py": "from companion.vault import store\nimport textual\n",
        "engine/__init__.py": "import llama_cpp\n",
        "config.py": "from companion import domain\n",
        "domain.py": "",
    }.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(text)
    assert upward(pkg) == ["companion.vault.store imports companion.ui.app "
                           "(vault may not import ui)"]
    assert cycles(pkg) == [["companion.ui.app", "companion.vault.store"]]
    assert foreign(pkg) == ["companion.engine imports llama_cpp"]


def test_layers_import_downwards_only() -> None:
    assert upward(ROOT) == []


def test_no_import_circle_anywhere() -> None:
    assert cycles(ROOT) == []


def test_textual_and_llama_cpp_stay_in_their_layers() -> None:
    assert foreign(ROOT) == []


def test_the_top_level_holds_packages_and_a_few_leaves() -> None:
    files = {p.name for p in ROOT.glob("*.py")}
    assert files <= TOP_LEVEL_MODULES, sorted(files - TOP_LEVEL_MODULES)
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()}
    assert packages == {"cli", "conversation", "ui", "care", "memory", "models", "engine",
                        "vault"}
    for package in packages:
        rank(package)


def test_every_module_is_small() -> None:
    sizes = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
             for p in ROOT.rglob("*.py")}
    assert {k: v for k, v in sizes.items() if v >= MAX_LINES} == {}
