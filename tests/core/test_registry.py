"""The name registry: look-ups, the loaders the top package installs, and a core that imports nothing above it."""

import ast
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from roadtrack.core import registry

CORE = Path(registry.__file__).parent
MODULE_NAME = re.compile(r"roadtrack(\.\w+)+")


def test_register_get_and_taken_name():
    def builder(x=1):
        return ("built", x)

    registry.register("embedder", "test-only-builder")(builder)
    try:
        assert registry.build("embedder", "test-only-builder", x=3) == ("built", 3)
        assert "test-only-builder" in registry.available("embedder")
        with pytest.raises(ValueError, match="already registered"):
            registry.register("embedder", "test-only-builder")(lambda: None)
        with pytest.raises(ValueError, match=r"unknown option\(s\) y; valid: x"):
            registry.build("embedder", "test-only-builder", y=2)
    finally:
        registry._BUILDERS["embedder"].pop("test-only-builder")


def test_unknown_names_list_the_choices():
    # No stage package imported by hand: the loaders that `import roadtrack` installs fill the kind.
    with pytest.raises(ValueError, match=r"unknown tracker 'nope'; choose from .*sort"):
        registry.get("tracker", "nope")
    for lookup in (lambda: registry.get("trackers", "sort"), lambda: registry.register("trackers", "x"),
                   lambda: registry.add_loader("trackers", lambda: None)):
        with pytest.raises(ValueError, match="unknown stage kind 'trackers'"):
            lookup()


def _core_imports(path: Path) -> list[str]:
    """Modules that one core file imports, statically or by name through importlib / __import__."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and MODULE_NAME.fullmatch(node.value):
            names.append(node.value)  # a module named in a string, to be imported at run time
    return names


@pytest.mark.parametrize("path", sorted(CORE.glob("*.py")), ids=lambda p: p.name)
def test_core_imports_nothing_above_core(path):
    # import-linter sees only import statements; this also catches importlib, __import__ and module names in
    # strings, the way the registry used to reach the stage packages.
    names = _core_imports(path)
    upward = [n for n in names if n.split(".")[0] == "roadtrack" and not n.startswith("roadtrack.core")]
    assert upward == [], f"{path.name} names modules above the core: {upward}"
    assert not {"importlib", "pkgutil"} & {n.split(".")[0] for n in names}, f"{path.name} imports by name"
    assert "__import__" not in path.read_text()


def test_loaders_run_once_before_the_first_lookup_and_retry_after_a_failure(monkeypatch):
    monkeypatch.setitem(registry._BUILDERS, "cmc", {})
    monkeypatch.setitem(registry._LOADERS, "cmc", [])
    calls = []

    def failing_once():
        calls.append("flaky")
        if calls.count("flaky") == 1:
            raise ImportError("first try fails")
        registry.register("cmc", "from-loader")(lambda: "built")

    registry.add_loader("cmc", failing_once)
    registry.add_loader("cmc", lambda: calls.append("second"))
    registry.register("cmc", "direct")(lambda: None)
    assert calls == []  # registering is not a look-up: it loads nothing
    with pytest.raises(ImportError, match="first try fails"):
        registry.available("cmc")
    assert registry.available("cmc") == ["direct", "from-loader"]
    assert registry.build("cmc", "from-loader") == "built"
    assert calls == ["flaky", "flaky", "second"]  # the failed loader ran again; each ran to the end once


def test_import_roadtrack_loads_only_the_core_and_the_first_lookup_fills_the_registry():
    script = textwrap.dedent("""
        import sys
        import roadtrack
        stages = ("detectors", "reid", "kalman", "association", "cmc", "trackers", "events", "pipeline", "io")
        loaded = lambda: sorted(s for s in stages if f"roadtrack.{s}" in sys.modules)
        assert loaded() == [], loaded()
        tracker = roadtrack.build("tracker", "sort", max_age=3)
        assert type(tracker).__name__ == "MultiObjectTracker", tracker
        print(loaded())
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # The tracker kind's loader imports the trackers package, which imports its parts; nothing else is loaded.
    assert done.stdout.split() == ["['association',", "'cmc',", "'kalman',", "'trackers']"]
