"""Ports (core.ports): every port an app declares is provided once the apps are loaded, and a
port nothing provides fails loudly instead of answering something plausible."""

import importlib
import importlib.util

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from core import admin as core_admin
from core.ports import Port


def declared_ports():
    modules = [core_admin]
    for config in apps.get_app_configs():
        name = f"{config.name}.ports"
        if importlib.util.find_spec(name) is not None:
            modules.append(importlib.import_module(name))
    return {
        f"{module.__name__}.{attribute}": value
        for module in modules
        for attribute, value in vars(module).items()
        if isinstance(value, Port)
    }


def test_every_declared_port_is_provided_by_a_higher_app():
    ports = declared_ports()
    assert {
        "core.admin.exchange_resources",
        "providers.ports.enrolled_counts",
        "services.ports.visit_billing",
        "reconciliation.ports.billing_decisions",
        "tariffs.ports.base_component",
    } <= set(ports)
    assert [name for name, port in ports.items() if not port.provided] == []


def test_a_port_nothing_provides_refuses_to_answer():
    def question(day: int) -> int:
        raise NotImplementedError

    port = Port("a question", question)
    with pytest.raises(ImproperlyConfigured, match="a question"):
        port(1)
    port.provide(lambda day: day + 1)
    assert port(1) == 2
