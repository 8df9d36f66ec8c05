"""Ports: what a lower layer needs from a higher one, provided by the higher one at start-up.

The apps are layers (docs/architecture.md): an app imports only the apps below it. Where a
lower app needs an answer only a higher one has — billing's decisions for a reconciliation
check, the children enrolled with a provider for its staffing table — the lower app declares
a `Port` in its `ports.py` and the higher app provides it in its `AppConfig.ready()`. The
lower app then reads as a whole: its ports list everything it asks of the rest.

A port nothing provides fails loudly (`ImproperlyConfigured`) rather than answering
something plausible: every process that loads the apps (web, worker, beat, commands, tests)
runs the `ready()` hooks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, ParamSpec, TypeVar

from django.core.exceptions import ImproperlyConfigured

P = ParamSpec("P")
R = TypeVar("R")


class Port(Generic[P, R]):
    """One function declared by the app that calls it and provided by the app that has it."""

    def __init__(self, name: str, signature: Callable[P, R]) -> None:
        # `signature` is a stub of the expected function: its parameters and return type
        # type-check the calls and the provider (its body is never run).
        self.name = name
        self.__doc__ = signature.__doc__
        self._provider: Callable[P, R] | None = None

    def provide(self, provider: Callable[P, R]) -> Callable[P, R]:
        self._provider = provider
        return provider

    @property
    def provided(self) -> bool:
        return self._provider is not None

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        if self._provider is None:
            raise ImproperlyConfigured(f"Nothing provides the port {self.name!r}.")
        return self._provider(*args, **kwargs)
