"""One small registry pattern for plugins (login providers, later payment and delivery).

A plugin registers under a key; the platform looks plugins up by key and lists the enabled
ones. Enabling is the plugin's own decision from settings, so a disabled plugin is invisible.
A plugin that only fakes a real provider (test eID, test payment) names the setting that
switches it on in ``test_only``; the deploy checks refuse any such plugin that is enabled.
"""

from collections.abc import Iterator
from typing import ClassVar, Generic, Protocol, TypeVar


class Plugin(Protocol):
    key: str

    def is_enabled(self) -> bool: ...


P = TypeVar("P", bound=Plugin)


class Registry(Generic[P]):
    _instances: ClassVar[list["Registry"]] = []

    def __init__(self, name: str) -> None:
        self.name = name
        self._plugins: dict[str, P] = {}
        Registry._instances.append(self)

    @classmethod
    def all(cls) -> list["Registry"]:
        """Every registry made so far (the deploy checks look for test plugins in them)."""
        return list(cls._instances)

    def register(self, plugin: P) -> P:
        if plugin.key in self._plugins:
            raise ValueError(f"{self.name}: '{plugin.key}' is registered twice")
        self._plugins[plugin.key] = plugin
        return plugin

    def unregister(self, key: str) -> None:
        self._plugins.pop(key, None)

    def get(self, key: str) -> P | None:
        plugin = self._plugins.get(key)
        return plugin if plugin is not None and plugin.is_enabled() else None

    def enabled(self) -> Iterator[P]:
        return (p for p in self._plugins.values() if p.is_enabled())
