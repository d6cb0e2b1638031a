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
