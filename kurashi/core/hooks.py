"""The registry through which modules extend the portal without the portal importing them.

A module registers its contributions in its AppConfig.ready() (Wagtail's hooks, typed):

    from kurashi.core import hooks

    hooks.nav_items.register(hooks.NavItem(key="disaster", label=gettext_lazy("Disaster information"),
                                           url_name="disaster:portal", order=10))
    hooks.plan_deliveries.register(hooks.MeasureDelivery(measure_id="1.1", module="disaster",
                                                         url_name="disaster:portal"))
    hooks.plan_indicators.register(hooks.Indicator(key="open-shelters", measure_id="1.1",
                                                   label=gettext_lazy("Open shelters"), compute=count_open))

The portal renders whatever is registered. Tests swap entries with `registry.temporarily(...)`.
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.functional import Promise

logger = logging.getLogger(__name__)

Label = str | Promise  # a plain or lazily translated string


class _Keyed(Protocol):
    @property
    def key(self) -> str: ...

    @property
    def order(self) -> int: ...


class Registry[T: _Keyed]:
    def __init__(self, name: str) -> None:
        self.name = name
        self._items: dict[str, T] = {}

    def register(self, item: T) -> T:
        """Add `item`; registering the same key again replaces it (AppConfig.ready may run twice)."""
        self._items[item.key] = item
        return item

    def unregister(self, key: str) -> None:
        self._items.pop(key, None)

    def items(self) -> list[T]:
        return sorted(self._items.values(), key=lambda item: (item.order, item.key))

    def get(self, key: str) -> T | None:
        return self._items.get(key)

    @contextmanager
    def temporarily(self, *items: T) -> Iterator[None]:
        saved = dict(self._items)
        try:
            for item in items:
                self.register(item)
            yield
        finally:
            self._items = saved


@dataclass(frozen=True)
class NavItem:
    """A link in the site navigation. `visible(request)` hides it (e.g. staff-only pages)."""

    key: str
    label: Label
    url_name: str
    order: int = 100
    visible: Callable[[HttpRequest], bool] = field(default=lambda request: True)


@dataclass(frozen=True)
class DashboardCard:
    """A card on the home page: a template rendered with context(request)."""

    key: str
    title: Label
    template_name: str
    context: Callable[[HttpRequest], dict[str, Any]] = field(default=lambda request: {})
    order: int = 100


@dataclass(frozen=True)
class MapLayer:
    """A Leaflet layer: GeoJSON served at url_name, styled client-side by `kind`."""

    key: str
    title: Label
    geojson_url_name: str
    kind: str = "points"  # points | polygons
    order: int = 100
    enabled_by_default: bool = True
    attribution: str = ""


@dataclass(frozen=True)
class MeasureDelivery:
    """Declares that `module` delivers plan measure `measure_id`, with its entry page."""

    measure_id: str
    module: str
    url_name: str
    label: Label = ""
    order: int = 100

    @property
    def key(self) -> str:
        return f"{self.measure_id}:{self.module}"


@dataclass(frozen=True)
class IndicatorValue:
    value: int | float | str
    unit: Label = ""
    note: Label = ""


@dataclass(frozen=True)
class Indicator:
    """A live figure for a plan measure. `compute` must be cheap; results are cached briefly."""

    key: str
    measure_id: str
    label: Label
    compute: Callable[[], IndicatorValue]
    order: int = 100
    cache_seconds: int = 30


@dataclass(frozen=True)
class HealthCheck:
    """A component reported by /healthz: check() returns (ok, detail)."""

    key: str
    check: Callable[[], tuple[bool, dict[str, Any]]]
    order: int = 100


@dataclass(frozen=True)
class DemoLoader:
    """Loads one part of the Saga demo data; `load(progress)` is idempotent and returns a count.
    progress(done, total) drives the progress bar of `kurashi demo`."""

    key: str
    label: Label
    load: Callable[[Callable[[int, int], None]], int]
    order: int = 100


@dataclass(frozen=True)
class BackgroundProcess:
    """A long-running `kurashi <argv…>` command that `kurashi run` starts beside the web server and
    the task worker when enabled() says so (embedded installs); at scale operators run it as a
    service of its own (README, docs/operations.md)."""

    key: str
    argv: tuple[str, ...]
    enabled: Callable[[], bool] = field(default=lambda: True)
    order: int = 100


@dataclass(frozen=True)
class SealedValues:
    """A column of values sealed by kurashi.core.sealing, for `kurashi seal status` (how many
    under each key id) and `kurashi seal reseal` (move them to the current key, returns how many;
    idempotent, safe to run while the platform serves)."""

    key: str
    label: Label
    count_by_key: Callable[[], dict[str, int]]
    reseal: Callable[[], int]
    order: int = 100


nav_items: Registry[NavItem] = Registry("nav_items")
dashboard_cards: Registry[DashboardCard] = Registry("dashboard_cards")
map_layers: Registry[MapLayer] = Registry("map_layers")
plan_deliveries: Registry[MeasureDelivery] = Registry("plan_deliveries")
plan_indicators: Registry[Indicator] = Registry("plan_indicators")
health_checks: Registry[HealthCheck] = Registry("health_checks")
demo_loaders: Registry[DemoLoader] = Registry("demo_loaders")
background_processes: Registry[BackgroundProcess] = Registry("background_processes")
sealed_values: Registry[SealedValues] = Registry("sealed_values")


def indicator_value(indicator: Indicator) -> IndicatorValue | None:
    """The indicator's value, cached for its cache_seconds; None if computing it failed
    (a broken indicator must never take the home page down)."""
    cache_key = f"kurashi:indicator:{indicator.key}"
    cached = cache.get(cache_key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    try:
        value = indicator.compute()
    except Exception:
        logger.exception("indicator %s failed", indicator.key)
        return None
    cache.set(cache_key, value, indicator.cache_seconds)
    return value
