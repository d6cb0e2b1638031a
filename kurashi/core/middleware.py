from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class ClientAddressMiddleware:
    """Sets request.client_address: REMOTE_ADDR, or the address TRUSTED_PROXY_COUNT proxies saw.

    X-Forwarded-For is only believed for the hops we run ourselves; a client can forge the rest.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        address = request.META.get("REMOTE_ADDR", "")
        proxies = settings.TRUSTED_PROXY_COUNT
        if proxies > 0:
            hops = [
                hop.strip()
                for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                if hop.strip()
            ]
            if len(hops) >= proxies:
                address = hops[-proxies]
        request.client_address = address  # type: ignore[attr-defined]
        return self.get_response(request)


class PrivateForSessionsMiddleware:
    """Any response to a request that carries a session (or starts one) is `private, no-store`.

    Views mark public pages `public, max-age=N` for the CDN and the micro-cache, but the same page
    rendered for a signed-in visitor holds their name, office and a CSRF token: a shared cache
    must never keep it, whatever the view said. Placed just before SessionMiddleware, so that it
    sees the response after every view and middleware, with the session cookie it may set.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        name = settings.SESSION_COOKIE_NAME
        # Only the cookie is looked at: touching request.user would read the session and add
        # "Vary: Cookie" to every anonymous page. Without the cookie nobody is signed in.
        if name in request.COOKIES or name in response.cookies:
            response["Cache-Control"] = "private, no-store"
            if "Expires" in response:
                del response["Expires"]
        return response


class PermissionsPolicyMiddleware:
    """Permissions-Policy on every response (settings.PERMISSIONS_POLICY): the browser features
    no Kurashi page uses are off for the page and anything it embeds; geolocation (reports, 119,
    ambulance tablets) and passkeys only for this site."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = policy
        return response
