"""How `import roadtrack` fills the registry: built-in stage packages and ``roadtrack.plugins`` entry points."""

from importlib.metadata import EntryPoint

import pytest

from roadtrack import _builtins
from roadtrack.core import registry


def test_every_kind_has_a_builtin_package():
    assert set(_builtins.BUILTIN_MODULES) == set(registry.KINDS)


@pytest.fixture
def plugins(tmp_path, monkeypatch):
    """Entry points of the ``roadtrack.plugins`` group (a list to fill), with plugin modules importable."""
    (tmp_path / "rt_plugin_ok.py").write_text(
        "from roadtrack.core import register\n\n"
        "@register('cmc', 'plugin-test-cmc')\n"
        "def build(scale=1.0):\n    return ('plugin', scale)\n")
    (tmp_path / "rt_plugin_broken.py").write_text("raise RuntimeError('boom')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    entries: list[EntryPoint] = []
    monkeypatch.setattr(_builtins, "entry_points", lambda group: entries if group == _builtins.PLUGIN_GROUP else [])
    yield entries
    registry._BUILDERS["cmc"].pop("plugin-test-cmc", None)


def test_a_plugin_registers_its_stages_on_import(plugins):
    plugins.append(EntryPoint("ok", "rt_plugin_ok", _builtins.PLUGIN_GROUP))
    # Unwrapped: the cached call may already have run, with the real (empty) group, at an earlier look-up.
    assert _builtins.load_plugins.__wrapped__() == ("ok",)
    assert registry.build("cmc", "plugin-test-cmc", scale=2.0) == ("plugin", 2.0)


def test_a_broken_plugin_is_named_in_the_error(plugins):
    plugins.append(EntryPoint("broken", "rt_plugin_broken", _builtins.PLUGIN_GROUP))
    with pytest.raises(ImportError, match=r"roadtrack plugin 'broken' = 'rt_plugin_broken' .*failed to load: boom"):
        _builtins.load_plugins.__wrapped__()
