"""Tenancy: the prefecture and each of its municipalities are tenants of one installation.

A tenant-owned row carries its tenant's 6-digit 全国地方公共団体コード in `tenant_code` and is read
through `TenantManager`, the model's default manager. The manager refuses to build a query unless
a scope is active:

    with tenant_scope("412023"):                  # 唐津市: read and write 唐津市's rows only
        Form.objects.filter(...)
    with tenant_scope_for(user, "forms.manage_forms"):   # what the user's memberships allow
        ...
    with cross_tenant(reason="public catalogue"):  # every tenant, read-only
        ...
    with cross_tenant(reason="retention sweep", write=True):  # system jobs only
        ...

Outside a scope, `Model.objects.…` raises TenantScopeError; saving, deleting or bulk-writing a row
of a tenant the scope may not write raises CrossTenantWriteError. Prefecture staff (members of an
organisation covering the whole prefecture) read every tenant and write only the prefecture's own
rows. A tenant-owned row may point (ForeignKey) only at rows of its own tenant.

`tenancy_problems(app_label)` is the introspection the tests of every adopting module run: it
names each concrete model of the app that lacks the tenant key or the scoped default manager
(models that are not tenant data are listed, with a reason, in the module's TENANT_EXEMPT).
See docs/decisions/0011-tenancy.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from kurashi.core.codes import is_valid_code
from kurashi.core.models import BilingualNameMixin

if TYPE_CHECKING:
    from kurashi.core.models import User

TENANT_FIELD = "tenant_code"
# The prefecture's own tenant (佐賀県, 全国地方公共団体コード 410004).
PREFECTURE_TENANT = "410004"


class TenantScopeError(RuntimeError):
    """A tenant-owned model was queried outside tenant_scope()/cross_tenant()."""


class CrossTenantWriteError(TenantScopeError):
    """A write touched a tenant the active scope may only read (or not see at all)."""


@dataclass(frozen=True)
class TenantScope:
    """What the running code may see and change. `readable`/`writable` None = every tenant."""

    readable: frozenset[str] | None
    writable: frozenset[str] | None
    reason: str = ""

    def can_read(self, code: str) -> bool:
        return self.readable is None or code in self.readable

    def can_write(self, code: str) -> bool:
        return self.writable is None or code in self.writable

    @property
    def writes_everything_it_reads(self) -> bool:
        if self.writable is None:
            return True
        return self.readable is not None and self.readable <= self.writable

    @property
    def is_cross_tenant(self) -> bool:
        return self.readable is None


_active: ContextVar[TenantScope | None] = ContextVar("kurashi_tenant_scope", default=None)


def current_scope() -> TenantScope | None:
    return _active.get()


@contextmanager
def _activate(scope: TenantScope) -> Iterator[TenantScope]:
    token = _active.set(scope)
    try:
        yield scope
    finally:
        _active.reset(token)


@contextmanager
def tenant_scope(*codes: str, read_only: bool = False) -> Iterator[TenantScope]:
    """Read (and unless read_only, write) the rows of exactly these tenants."""
    readable = frozenset(codes)
    with _activate(
        TenantScope(readable=readable, writable=frozenset() if read_only else readable)
    ) as scope:
        yield scope


@contextmanager
def cross_tenant(*, reason: str, write: bool = False) -> Iterator[TenantScope]:
    """Every tenant, explicitly. Read-only unless write=True, which only system jobs (retention,
    migrations of data, the demo loader) may ask for. `reason` says why, for readers and logs."""
    if not reason:
        raise ValueError("cross_tenant() needs a reason")
    with _activate(
        TenantScope(readable=None, writable=None if write else frozenset(), reason=reason)
    ) as scope:
        yield scope


def scope_for(user: User | Any, permission: str) -> TenantScope:
    """The scope a user acts in when exercising `permission`: the tenants of the municipalities
    where they hold it; prefecture staff read all tenants and write the prefecture's; superusers
    (the platform's operators) everything. An empty scope when they hold it nowhere."""
    from kurashi.core.permissions import grant_for

    grant = grant_for(user, permission)
    if grant.everywhere:
        return TenantScope(readable=None, writable=None, reason=f"superuser {permission}")
    codes = frozenset(grant.municipality_codes)
    if grant.all_municipalities:
        return TenantScope(
            readable=None, writable=codes | {PREFECTURE_TENANT}, reason=f"prefecture {permission}"
        )
    return TenantScope(readable=codes, writable=codes, reason=permission)


@contextmanager
def tenant_scope_for(user: User | Any, permission: str) -> Iterator[TenantScope]:
    with _activate(scope_for(user, permission)) as scope:
        yield scope


def _require_scope(model: type[models.Model]) -> TenantScope:
    scope = _active.get()
    if scope is None:
        raise TenantScopeError(
            f"{model._meta.label} is tenant data: query it inside tenant_scope(...), "
            "tenant_scope_for(user, permission) or cross_tenant(reason=...)."
        )
    return scope


def _require_write(model: type[models.Model], codes: Iterable[str]) -> None:
    scope = _require_scope(model)
    refused = sorted({code for code in codes if not scope.can_write(code)})
    if refused:
        raise CrossTenantWriteError(
            f"{model._meta.label}: the active scope may not write tenant(s) {', '.join(refused)}."
        )


_M = TypeVar("_M", bound=models.Model)


class TenantQuerySet(models.QuerySet[_M]):
    """Bulk writes check the scope too: a read-across scope cannot update or delete in bulk."""

    def _require_bulk_write(self) -> None:
        scope = _require_scope(self.model)
        if not scope.writes_everything_it_reads:
            raise CrossTenantWriteError(
                f"{self.model._meta.label}: bulk writes need a scope that may write every tenant "
                "it reads; narrow it with tenant_scope(code)."
            )

    def update(self, **kwargs: Any) -> int:
        self._require_bulk_write()
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        self._require_bulk_write()
        return super().delete()

    def bulk_create(self, objs: Iterable[_M], *args: Any, **kwargs: Any) -> list[_M]:
        objs = list(objs)
        _require_write(self.model, (getattr(obj, TENANT_FIELD) for obj in objs))
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs: Iterable[_M], *args: Any, **kwargs: Any) -> int:
        objs = list(objs)
        _require_write(self.model, (getattr(obj, TENANT_FIELD) for obj in objs))
        return super().bulk_update(objs, *args, **kwargs)


class TenantManager(models.Manager[_M]):
    """The scoped default manager: rows of the active scope's readable tenants, or an error."""

    _queryset_class = TenantQuerySet

    def get_queryset(self) -> TenantQuerySet[_M]:
        scope = _require_scope(self.model)
        queryset: TenantQuerySet[_M] = TenantQuerySet(self.model, using=self._db)
        if scope.readable is None:
            return queryset
        return queryset.filter(**{f"{TENANT_FIELD}__in": sorted(scope.readable)})


def validate_tenant_code(value: str) -> None:
    if not is_valid_code(value):
        raise ValidationError(
            _("%(value)s is not a tenant (a 6-digit local government code)."),
            params={"value": value},
            code="invalid_tenant",
        )
    if not known_tenant(value):
        raise ValidationError(
            _("%(value)s is neither the prefecture nor one of its municipalities."),
            params={"value": value},
            code="unknown_tenant",
        )


class TenantOwned(models.Model):
    """Abstract base of every tenant-owned model: the key, the scoped manager, the write guard."""

    tenant_code = models.CharField(
        _("tenant"), max_length=6, db_index=True, validators=[validate_tenant_code]
    )

    objects = TenantManager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        _require_write(type(self), [self.tenant_code])
        self._check_related_tenants()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        _require_write(type(self), [self.tenant_code])
        return super().delete(*args, **kwargs)

    def _check_related_tenants(self) -> None:
        """A row may point only at rows of its own tenant (a leak through a foreign key)."""
        for field in self._meta.concrete_fields:
            if not isinstance(field, models.ForeignKey):
                continue
            related_model = field.related_model
            if not (isinstance(related_model, type) and issubclass(related_model, TenantOwned)):
                continue
            if getattr(self, field.attname) is None:
                continue
            related = getattr(self, field.name)  # cached or through the unscoped base manager
            if related.tenant_code != self.tenant_code:
                raise CrossTenantWriteError(
                    f"{self._meta.label}.{field.name} points at tenant {related.tenant_code}, "
                    f"the row belongs to {self.tenant_code}."
                )

    @classmethod
    def get_tenant_field(cls) -> str:
        return TENANT_FIELD


@dataclass(frozen=True)
class Tenant(BilingualNameMixin):
    """The prefecture or one of its municipalities; `name` in the active language."""

    code: str
    kind: str  # "prefecture" | "municipality"
    name_ja: str
    name_en: str


def list_tenants() -> list[Tenant]:
    """The prefecture first, then its municipalities by code."""
    from kurashi.core.models import Municipality, Prefecture

    tenants = [
        Tenant(code=p.code, kind="prefecture", name_ja=p.name_ja, name_en=p.name_en)
        for p in Prefecture.objects.order_by("code")
    ]
    tenants += [
        Tenant(code=m.code, kind="municipality", name_ja=m.name_ja, name_en=m.name_en)
        for m in Municipality.objects.order_by("code")
    ]
    return tenants


def tenant_names() -> Mapping[str, Tenant]:
    return {tenant.code: tenant for tenant in list_tenants()}


def known_tenant(code: str) -> bool:
    from kurashi.core.models import Municipality, Prefecture

    return (
        Prefecture.objects.filter(code=code).exists()
        or Municipality.objects.filter(code=code).exists()
    )


def model_problems(model: type[models.Model]) -> str | None:
    """Why `model` does not follow the tenancy rule, or None when it does."""
    if not any(f.name == TENANT_FIELD for f in model._meta.concrete_fields):
        return f"{model._meta.label}: no {TENANT_FIELD} field"
    if not isinstance(model._default_manager, TenantManager):
        return f"{model._meta.label}: default manager is not a TenantManager"
    if not issubclass(model, TenantOwned):
        return f"{model._meta.label}: does not inherit TenantOwned's write guard"
    return None


def tenancy_problems(app_label: str, *, exempt: Mapping[str, str] | None = None) -> list[str]:
    """Every concrete model of `app_label` that is not tenant-owned and not exempt (model name →
    reason), described; empty when the app follows the rule."""
    exempt = dict(exempt or {})
    problems = []
    for model in apps.get_app_config(app_label).get_models():
        if model._meta.proxy or model._meta.auto_created:
            continue
        if model.__name__ in exempt:
            if not exempt[model.__name__].strip():
                problems.append(f"{model._meta.label}: exempt without a reason")
            continue
        if problem := model_problems(model):
            problems.append(problem)
    return problems
