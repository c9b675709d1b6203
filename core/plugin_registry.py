"""Finding, ordering and checking the enabled plugins.

Plugins come from the in-tree `plugins` package and from the entry-point group
`caregraph.plugins`; `CAREGRAPH_PLUGINS` (comma-separated; empty for none) says which run.
The core registers itself first, through the same `Plugin` contract.
"""

import importlib
import importlib.metadata
import os
import pkgutil
import re
from collections.abc import Callable, Iterable
from functools import partial

from core.plugin_api import Plugin

ENTRY_POINT_GROUP = "caregraph.plugins"
IN_TREE_PACKAGE = "plugins"
DEFAULT_PLUGINS = ("civil_affairs", "education", "police", "womens_federation")
DEPARTMENT_CODE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


class PluginError(RuntimeError):
    """A plugin set that cannot start; the message names the plugins concerned."""


def _as_plugin(obj: object, source: str) -> Plugin:
    candidate = getattr(obj, "plugin", obj)
    if not isinstance(candidate, Plugin):
        raise PluginError(f"{source} does not provide a caregraph Plugin (got {type(candidate)})")
    return candidate


def in_tree_names() -> list[str]:
    package = importlib.import_module(IN_TREE_PACKAGE)
    return sorted(info.name for info in pkgutil.iter_modules(package.__path__) if info.ispkg)


def plugin_sources() -> dict[str, Callable[[], Plugin]]:
    """Every plugin this installation can load, by name, without importing any of them: the
    in-tree package name, or the entry point's name (which must be the plugin's name)."""
    sources: dict[str, Callable[[], Plugin]] = {}
    for name in in_tree_names():
        module = f"{IN_TREE_PACKAGE}.{name}"
        sources[name] = partial(_load_module, module, name)
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.name in sources:
            raise PluginError(
                f"two plugins are named {entry_point.name!r}: the in-tree one and "
                f"entry point {entry_point.value}"
            )
        sources[entry_point.name] = partial(_load_entry_point, entry_point)
    return sources


def _checked(plugin: Plugin, expected_name: str, source: str) -> Plugin:
    if plugin.name != expected_name:
        raise PluginError(
            f"{source} is registered as {expected_name!r} but names itself {plugin.name!r}"
        )
    if not DEPARTMENT_CODE.match(plugin.department):
        raise PluginError(
            f"plugin {plugin.name!r} has department {plugin.department!r}; department codes are "
            "lower-case words joined by underscores"
        )
    return plugin


def _load_module(module: str, name: str) -> Plugin:
    return _checked(_as_plugin(importlib.import_module(module), module), name, module)


def _load_entry_point(entry_point: importlib.metadata.EntryPoint) -> Plugin:
    source = f"entry point {entry_point.value}"
    return _checked(_as_plugin(entry_point.load(), source), entry_point.name, source)


def available_plugins() -> dict[str, Plugin]:
    """Every installed plugin, enabled or not, loaded."""
    return {name: load() for name, load in plugin_sources().items()}


def enabled_names(setting: str | None = None) -> list[str]:
    """The names listed by CAREGRAPH_PLUGINS (the four in-tree ones when it is unset)."""
    value = os.environ.get("CAREGRAPH_PLUGINS") if setting is None else setting
    if value is None:
        return list(DEFAULT_PLUGINS)
    return [name.strip() for name in value.split(",") if name.strip()]


def resolve(names: Iterable[str], sources: dict[str, Callable[[], Plugin]]) -> list[Plugin]:
    """The named plugins in dependency order; refuses unknown names, missing dependencies and
    cycles with a message that names them."""
    wanted = list(dict.fromkeys(names))
    unknown = [name for name in wanted if name not in sources]
    if unknown:
        raise PluginError(
            f"unknown plugin(s) in CAREGRAPH_PLUGINS: {', '.join(unknown)} "
            f"(available: {', '.join(sorted(sources)) or 'none'})"
        )
    available = {name: sources[name]() for name in wanted}
    for name in wanted:
        missing = [need for need in available[name].requires if need not in wanted]
        if missing:
            raise PluginError(
                f"plugin {name!r} requires {', '.join(repr(m) for m in missing)}, "
                "which is not enabled"
            )
    ordered: list[Plugin] = []
    visiting: list[str] = []

    def visit(name: str) -> None:
        if any(plugin.name == name for plugin in ordered):
            return
        if name in visiting:
            cycle = " -> ".join([*visiting[visiting.index(name) :], name])
            raise PluginError(f"plugins depend on each other in a cycle: {cycle}")
        visiting.append(name)
        for need in available[name].requires:
            visit(need)
        visiting.pop()
        ordered.append(available[name])

    for name in sorted(wanted):
        visit(name)
    return ordered


def enabled_plugins(setting: str | None = None) -> list[Plugin]:
    """The core, then the enabled plugins in dependency order."""
    from core.builtin import CORE_PLUGIN

    return [CORE_PLUGIN, *resolve(enabled_names(setting), plugin_sources())]
