"""The plugin contract: the import boundary, ordering and refusals at start-up, and the schema
showing exactly the enabled plugins' fields."""

import ast
import dataclasses
from pathlib import Path

import pytest
import strawberry

from core.builtin import CORE_PLUGIN
from core.graphql.schema import SchemaConflict, build_schema, contributed_fields, schema_for
from core.plugin_api import Child, Plugin
from core.plugin_registry import (
    DEFAULT_PLUGINS,
    PluginError,
    available_plugins,
    enabled_names,
    resolve,
)

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_CORE_MODULES = {"core.plugin_api"}
PUBLIC_CORE_MODULES_FOR_TESTS = {"core.plugin_api", "core.testing"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_core_imports_no_plugin() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in (ROOT / "core").rglob("*.py")
        for module in imported_modules(path)
        if module == "plugins" or module.startswith("plugins.")
    ]
    assert offenders == []


def test_plugins_use_the_core_only_through_the_plugin_api() -> None:
    plugin_files = list((ROOT / "plugins").rglob("*.py")) + list((ROOT / "examples").rglob("*.py"))
    assert plugin_files
    offenders = []
    for path in plugin_files:
        allowed = PUBLIC_CORE_MODULES_FOR_TESTS if "tests" in path.parts else PUBLIC_CORE_MODULES
        for module in imported_modules(path):
            if (module == "core" or module.startswith("core.")) and module not in allowed:
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []


def test_plugins_do_not_import_each_other() -> None:
    offenders = []
    for package in (ROOT / "plugins").iterdir():
        if not package.is_dir() or package.name.startswith("__"):
            continue
        for path in package.rglob("*.py"):
            for module in imported_modules(path):
                parts = module.split(".")
                if parts[0] == "plugins" and len(parts) > 1 and parts[1] != package.name:
                    offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []


def test_the_four_departments_are_enabled_by_default() -> None:
    assert set(DEFAULT_PLUGINS) == {"civil_affairs", "education", "police", "womens_federation"}
    assert enabled_names("") == [], "an empty setting enables no plugin"
    plugins = available_plugins()
    for name in ("civil_affairs", "education", "police", "womens_federation"):
        assert plugins[name].department == name
        migrations, policy = plugins[name].migrations, plugins[name].policy
        assert migrations is not None and migrations.is_dir()
        assert policy is not None and policy.is_file()


def test_disabling_a_plugin_removes_its_fields_from_the_schema() -> None:
    with_education = schema_for("education").as_str()
    without = schema_for("").as_str()
    assert "enrollment: Enrollment" in with_education
    assert "enrollChild(" in with_education
    assert "enrollment" not in without.lower()
    assert "enrollChild" not in without
    assert schema_for("education").as_str() == with_education, "building again is stable"


def _sources(*plugins: Plugin) -> dict[str, object]:
    return {plugin.name: (lambda p=plugin: p) for plugin in plugins}


def test_a_missing_dependency_stops_start_up_naming_both() -> None:
    needy = Plugin(name="needy", department="needy", requires=("absent",))
    with pytest.raises(PluginError, match=r"'needy' requires 'absent'"):
        resolve(["needy"], _sources(needy))  # type: ignore[arg-type]


def test_unknown_plugin_names_are_listed() -> None:
    with pytest.raises(PluginError, match=r"unknown plugin.*nope.*available: a"):
        resolve(["nope"], _sources(Plugin(name="a", department="a")))  # type: ignore[arg-type]


def test_dependencies_come_first_and_cycles_are_named() -> None:
    base = Plugin(name="zeta", department="zeta")
    top = Plugin(name="alpha", department="alpha", requires=("zeta",))
    ordered = resolve(["alpha", "zeta"], _sources(base, top))  # type: ignore[arg-type]
    assert [p.name for p in ordered] == ["zeta", "alpha"]
    one = Plugin(name="one", department="one", requires=("two",))
    two = Plugin(name="two", department="two", requires=("one",))
    with pytest.raises(PluginError, match="cycle: one -> two -> one"):
        resolve(["one", "two"], _sources(one, two))  # type: ignore[arg-type]


def _plugin_with_query(name: str, field_name: str) -> Plugin:
    def resolver() -> int:
        return 1

    query = strawberry.type(
        type(f"{name.title()}Query", (), {field_name: strawberry.field(resolver=resolver)})
    )
    return Plugin(name=name, department=name, query=query)


def test_two_plugins_claiming_one_root_field_stop_start_up() -> None:
    first = _plugin_with_query("first", "sharedCount")
    second = _plugin_with_query("second", "sharedCount")
    with pytest.raises(SchemaConflict, match=r"Query.sharedCount .* 'first' and 'second'"):
        build_schema([CORE_PLUGIN, first, second])


def test_a_plugin_cannot_take_a_core_field_name() -> None:
    @strawberry.type
    class Clash:
        @strawberry.field
        def name(self, child: strawberry.Parent[Child]) -> str:
            return "clash"

    clashing = Plugin(name="clasher", department="clasher", type_fields={"Child": Clash})
    with pytest.raises(SchemaConflict, match=r"Child.name .* 'core' and 'clasher'"):
        build_schema([CORE_PLUGIN, clashing])
    # the failed build left the core type as it was
    assert "clash" not in build_schema([CORE_PLUGIN]).as_str()


def test_contributed_fields_are_reported() -> None:
    education = available_plugins()["education"]
    fields = contributed_fields(education)
    assert "Child.enrollment" in fields
    assert "Mutation.enrollChild" in fields
    assert "Query.enrollments" in fields


def test_plugin_values_are_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        CORE_PLUGIN.name = "other"  # type: ignore[misc]
