"""The layering of docs/architecture.md, checked on the source: no import cycles (late
imports included) and no import from a lower layer into a higher one."""

from __future__ import annotations

from tests.architecture.imports import LAYERS, cycles, import_graph, project_modules, upward_imports


def test_every_package_is_on_a_layer() -> None:
    modules = project_modules()
    assert {name.split(".")[0] for name in modules} == {p for layer in LAYERS for p in layer}


def test_there_are_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_packages_import_only_downward() -> None:
    assert upward_imports(import_graph()) == []


def test_the_checker_sees_late_imports_and_cycles() -> None:
    """The checks above would pass on an empty graph: show they find what they look for."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert cycles(graph) == [["a", "b", "c"]]
    assert upward_imports({"core.mention": {"grapevine.cli"}, "grapevine.cli": set()}) == [
        "core.mention -> grapevine.cli"
    ]
    # a function-level import in a real module counts: the labelling area loads nlp lazily
    assert "nlp.labeller" in import_graph()["grapevine.labelling.area"]


def test_the_maps_name_every_package_and_area() -> None:
    """docs/architecture.md and the README's map stay true: every package and every
    built-in area is named in them."""
    from grapevine.areas import BUILTIN_AREAS
    from tests.architecture.imports import ROOT

    architecture = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for package in (p for layer in LAYERS for p in layer):
        name = "app.py" if package == "app" else f"{package}/"
        assert name in architecture, f"docs/architecture.md does not place {name}"
        assert name in readme, f"README's map does not list {name}"
    for area in BUILTIN_AREAS:
        assert f"`{area}`" in architecture, f"docs/architecture.md does not list {area}"
        folder = area.split(".")[1] + "/"
        assert folder in readme, f"README's map does not list grapevine/{folder}"
