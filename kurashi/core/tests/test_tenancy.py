"""The tenancy mechanism (kurashi/core/tenancy.py) on models built for the test only."""

import pytest
from django.db import models
from django.test.utils import isolate_apps

from kurashi.core.models import Organisation
from kurashi.core.tenancy import (
    PREFECTURE_TENANT,
    CrossTenantWriteError,
    TenantManager,
    TenantOwned,
    TenantScopeError,
    cross_tenant,
    current_scope,
    list_tenants,
    model_problems,
    scope_for,
    tenancy_problems,
    tenant_scope,
)
from kurashi.testing.builders import make_member, make_organisation

SAGA, KARATSU = "412015", "412023"


@pytest.fixture
def shelf_model():  # type: ignore[no-untyped-def]
    with isolate_apps("kurashi.core"):

        class Shelf(TenantOwned):
            label = models.CharField(max_length=20)

            class Meta:
                app_label = "core"

        class Book(TenantOwned):
            shelf = models.ForeignKey(Shelf, on_delete=models.CASCADE)

            class Meta:
                app_label = "core"

        yield Shelf, Book


def test_query_outside_any_scope_raises(shelf_model):
    shelf, _book = shelf_model
    with pytest.raises(TenantScopeError, match="tenant_scope"):
        shelf.objects.filter(label="x")


def test_scope_filters_to_its_tenants(shelf_model):
    shelf, _book = shelf_model
    with tenant_scope(KARATSU):
        sql = str(shelf.objects.all().query)
    assert f'WHERE "core_shelf"."tenant_code" IN ({KARATSU})' in sql


def test_cross_tenant_reads_every_tenant_but_cannot_write(shelf_model):
    shelf, _book = shelf_model
    with cross_tenant(reason="test"):
        assert "WHERE" not in str(shelf.objects.all().query)
        with pytest.raises(CrossTenantWriteError):
            shelf(tenant_code=SAGA, label="x").save()
        with pytest.raises(CrossTenantWriteError):
            shelf.objects.all().update(label="y")
        with pytest.raises(CrossTenantWriteError):
            shelf.objects.all().delete()


def test_cross_tenant_needs_a_reason():
    with pytest.raises(ValueError, match="reason"), cross_tenant(reason=""):
        pass


def test_write_to_another_tenant_raises_before_touching_the_database(shelf_model):
    shelf, _book = shelf_model
    with tenant_scope(KARATSU), pytest.raises(CrossTenantWriteError, match=SAGA):
        shelf(tenant_code=SAGA, label="x").save()
    with tenant_scope(KARATSU), pytest.raises(CrossTenantWriteError):
        shelf.objects.bulk_create([shelf(tenant_code=SAGA, label="x")])


def test_read_only_scope_refuses_writes(shelf_model):
    shelf, _book = shelf_model
    with tenant_scope(KARATSU, read_only=True), pytest.raises(CrossTenantWriteError):
        shelf(tenant_code=KARATSU, label="x").save()


def test_foreign_key_to_another_tenants_row_is_refused(shelf_model):
    shelf, book = shelf_model
    other = shelf(pk=1, tenant_code=SAGA, label="saga")
    with (
        cross_tenant(reason="test", write=True),
        pytest.raises(CrossTenantWriteError, match="points at"),
    ):
        book(tenant_code=KARATSU, shelf=other).save()


def test_scopes_nest_and_restore():
    assert current_scope() is None
    with tenant_scope(SAGA):
        with cross_tenant(reason="inner"):
            assert current_scope().is_cross_tenant
        assert current_scope().readable == frozenset({SAGA})
    assert current_scope() is None


def test_introspection_names_models_without_key_or_manager():
    with isolate_apps("kurashi.core"):

        class Plain(models.Model):  # noqa: DJ008
            class Meta:
                app_label = "core"

        class KeyOnly(models.Model):  # noqa: DJ008
            tenant_code = models.CharField(max_length=6)

            class Meta:
                app_label = "core"

        class ManagerNoGuard(models.Model):  # noqa: DJ008
            tenant_code = models.CharField(max_length=6)
            objects = TenantManager()

            class Meta:
                app_label = "core"

        class Good(TenantOwned):
            class Meta:
                app_label = "core"

        assert model_problems(Plain) == "core.Plain: no tenant_code field"
        assert model_problems(KeyOnly) == "core.KeyOnly: default manager is not a TenantManager"
        assert "write guard" in (model_problems(ManagerNoGuard) or "")
        assert model_problems(Good) is None


def test_introspection_requires_a_reason_for_exemptions():
    problems = tenancy_problems("core", exempt={"User": ""})
    assert "core.User: exempt without a reason" in problems
    assert "core.Municipality: no tenant_code field" in problems


@pytest.mark.django_db
def test_scope_for_municipal_staff_is_their_municipality():
    karatsu = make_organisation(municipality_code=KARATSU)
    staff = make_member(karatsu, "core.manage_members")
    scope = scope_for(staff, "core.manage_members")
    assert scope.readable == scope.writable == frozenset({KARATSU})
    assert scope_for(staff, "core.other").readable == frozenset()


@pytest.mark.django_db
def test_scope_for_prefecture_staff_reads_all_and_writes_the_prefecture():
    department = make_organisation(
        kind=Organisation.Kind.PREFECTURAL_DEPARTMENT,
        municipality_code=None,
        covers_whole_prefecture=True,
    )
    staff = make_member(department, "core.manage_members")
    scope = scope_for(staff, "core.manage_members")
    assert scope.readable is None
    assert scope.can_read(KARATSU)
    assert not scope.can_write(KARATSU)
    assert scope.can_write(PREFECTURE_TENANT)


@pytest.mark.django_db
def test_tenants_are_the_prefecture_and_its_20_municipalities():
    tenants = list_tenants()
    assert [t.code for t in tenants][:1] == [PREFECTURE_TENANT]
    assert len(tenants) == 21
    assert {t.kind for t in tenants[1:]} == {"municipality"}
