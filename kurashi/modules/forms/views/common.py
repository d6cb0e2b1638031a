"""What every forms view shares: the tenant scope of the request, caching rules, session grants."""

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.cache import patch_cache_control

from kurashi.core.models import User
from kurashi.core.tenancy import TenantScope, scope_for, tenant_scope_for

View = Callable[..., Any]
SESSION_DRAFTS = "forms_drafts"


def no_store(response: HttpResponseBase) -> HttpResponseBase:
    patch_cache_control(response, private=True, no_store=True, max_age=0)
    return response


def public_unless_signed_in(max_age: int) -> Callable[[View], View]:
    """Shared-cacheable for anonymous visitors only: a signed-in page names its user."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            response: HttpResponseBase = view(request, *args, **kwargs)
            if request.user.is_authenticated or request.method != "GET":
                return no_store(response)
            patch_cache_control(response, public=True, max_age=max_age)
            return response

        return wrapped

    return decorator


def private(view: View) -> View:
    """Applicant pages (drafts, status): never stored by any cache."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response: HttpResponseBase = view(request, *args, **kwargs)
        return no_store(response)

    return wrapped


def staff_view(permission: str) -> Callable[[View], View]:
    """Sign-in required; the view runs in the tenant scope `permission` gives the user
    (403 when it gives none); the response is never cached."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            scope = scope_for(request.user, permission)
            if scope.readable is not None and not scope.readable:
                raise PermissionDenied(permission)
            with tenant_scope_for(request.user, permission) as active:
                request.tenant_scope = active  # type: ignore[attr-defined]
                return no_store(view(request, *args, **kwargs))

        return wrapped

    return decorator


def request_scope(request: HttpRequest) -> TenantScope:
    scope: TenantScope = request.tenant_scope  # type: ignore[attr-defined]
    return scope


def grant_draft(request: HttpRequest, public_id: str) -> None:
    drafts = [d for d in request.session.get(SESSION_DRAFTS, []) if d != public_id]
    request.session[SESSION_DRAFTS] = [*drafts[-19:], public_id]


def has_draft(request: HttpRequest, public_id: str) -> bool:
    return public_id in request.session.get(SESSION_DRAFTS, [])


def acting_user(request: HttpRequest) -> Any:
    """The request's user for services that take an actor (anonymous is passed on as such:
    services record it as "anonymous" and never treat it as staff)."""
    return cast(User, request.user)
