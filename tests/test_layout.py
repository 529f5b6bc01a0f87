"""The import graph: layers import downward only, no module imports itself back, nothing acts on import."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from classifier.store import REPO_ROOT

PACKAGES = ("classifier", "scoring", "training", "data")
# What each package may import from the project (itself included). classifier is the library that
# logged models ship as their code: it stands alone.
ALLOWED = {
    "classifier": {"classifier"},
    "scoring": {"classifier", "scoring"},
    "training": {"classifier", "training", "data"},
    "data": {"classifier", "data"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in (REPO_ROOT / package).rglob("*.py")}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Project modules ``path`` imports anywhere in it (functions included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            if name in known:
                found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports_of(path, set(found)) - {name} for name, path in found.items()}


def test_each_package_imports_only_the_layers_below_it():
    wrong = [
        f"{module} imports {target}"
        for module, targets in graph().items()
        for target in targets
        if target.split(".")[0] not in ALLOWED[module.split(".")[0]]
    ]
    assert wrong == []


def test_the_import_graph_has_no_cycle():
    edges = graph()
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                cycles.append(path[path.index(target) :] + [target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_importing_a_module_leaves_the_environment_alone():
    """No import-time side effects: importing a module of the project sets no environment variable
    (third-party libraries that set their own are imported first). ``classifier.mlflow_model`` is left
    out: it is MLflow's model-from-code entry, a script MLflow runs to build the model."""
    names = sorted(m for m in modules() if m != "classifier.mlflow_model")
    script = (
        "import importlib, json, os, sklearn, sklearn.linear_model, pandas, numpy\n"
        "changed = {}\n"
        f"for name in {names!r}:\n"
        "    before = dict(os.environ)\n"
        "    importlib.import_module(name)\n"
        "    diff = sorted(set(os.environ.items()) ^ set(before.items()))\n"
        "    if diff:\n"
        "        changed[name] = diff\n"
        "print(json.dumps(changed))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "{}"
