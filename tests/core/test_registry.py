import pytest

from roadtrack.core import registry


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
    import roadtrack.pipeline  # noqa: F401  (registers everything)

    with pytest.raises(ValueError, match=r"unknown tracker 'nope'; choose from .*sort"):
        registry.get("tracker", "nope")
    with pytest.raises(ValueError, match="unknown stage kind"):
        registry.get("trackers", "sort")
