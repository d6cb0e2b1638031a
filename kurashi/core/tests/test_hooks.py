"""The registry through which modules extend the portal."""

from dataclasses import dataclass

import pytest
from django.core.cache import cache

from kurashi.core import hooks
from kurashi.core.hooks import Indicator, IndicatorValue, MeasureDelivery, Registry


@dataclass(frozen=True)
class Item:
    key: str
    order: int = 100
    label: str = ""


def test_lists_items_by_order_then_key() -> None:
    registry: Registry[Item] = Registry("test")
    registry.register(Item("zeta", order=10))
    registry.register(Item("beta", order=20))
    registry.register(Item("alpha", order=20))
    registry.register(Item("first", order=0))

    assert [item.key for item in registry.items()] == ["first", "zeta", "alpha", "beta"]


def test_registering_a_key_again_replaces_the_item() -> None:
    registry: Registry[Item] = Registry("test")
    registry.register(Item("map", label="old"))

    returned = registry.register(Item("map", label="new"))

    assert registry.items() == [Item("map", label="new")]
    assert returned == Item("map", label="new")


def test_gets_and_unregisters_by_key() -> None:
    registry: Registry[Item] = Registry("test")
    registry.register(Item("map"))

    assert registry.get("map") == Item("map")
    assert registry.get("missing") is None
    registry.unregister("map")
    registry.unregister("missing")  # unregistering twice is harmless
    assert registry.items() == []


def test_temporarily_adds_and_replaces_items_then_restores() -> None:
    registry: Registry[Item] = Registry("test")
    registry.register(Item("home", label="original"))

    with registry.temporarily(Item("home", label="swapped"), Item("extra", order=1)):
        assert registry.items() == [Item("extra", order=1), Item("home", label="swapped")]
        registry.register(Item("registered-inside"))

    assert registry.items() == [Item("home", label="original")]


def test_temporarily_restores_after_an_error() -> None:
    registry: Registry[Item] = Registry("test")
    registry.register(Item("home"))

    def fail_inside() -> None:
        with registry.temporarily(Item("extra")):
            registry.unregister("home")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fail_inside()

    assert registry.items() == [Item("home")]


def test_measure_delivery_is_keyed_by_measure_and_module() -> None:
    delivery = MeasureDelivery(measure_id="1.1", module="disaster", url_name="portal:map")

    assert delivery.key == "1.1:disaster"


def test_apps_register_their_contributions() -> None:
    assert hooks.nav_items.get("home") is not None
    assert hooks.nav_items.get("map") is not None
    assert hooks.nav_items.get("plan") is not None
    assert hooks.map_layers.get("municipalities") is not None
    assert [c.key for c in hooks.health_checks.items()][:2] == ["database", "tasks"]
    loaders = [loader.key for loader in hooks.demo_loaders.items()]
    for key in ("municipalities", "organisations", "plan-departments", "demo-staff"):
        assert key in loaders
    assert loaders.index("plan-departments") < loaders.index("demo-staff")


def test_indicator_value_is_computed_once_and_cached() -> None:
    cache.clear()
    calls: list[int] = []

    def compute() -> IndicatorValue:
        calls.append(1)
        return IndicatorValue(value=42, unit="件")

    indicator = Indicator(key="test-cached", measure_id="1.1", label="x", compute=compute)

    assert hooks.indicator_value(indicator) == IndicatorValue(value=42, unit="件")
    assert hooks.indicator_value(indicator) == IndicatorValue(value=42, unit="件")
    assert len(calls) == 1


def test_failing_indicator_gives_none_and_is_retried() -> None:
    cache.clear()
    calls: list[int] = []

    def compute() -> IndicatorValue:
        calls.append(1)
        raise ZeroDivisionError

    indicator = Indicator(key="test-failing", measure_id="1.1", label="x", compute=compute)

    assert hooks.indicator_value(indicator) is None
    assert hooks.indicator_value(indicator) is None
    assert len(calls) == 2
