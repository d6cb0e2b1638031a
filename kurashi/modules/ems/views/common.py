"""Helpers shared by the ems pages: the answer to a write, for a plain form post (redirect with a
message) or for the tablet's script (JSON, so the offline queue can tell success from failure)."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

SCRIPT_HEADER = "X-Ems-Client"


def from_script(request: HttpRequest) -> bool:
    return request.headers.get(SCRIPT_HEADER) == "1"


def done(request: HttpRequest, message: str, to: str, **extra: Any) -> HttpResponse:
    if from_script(request):
        return JsonResponse({"ok": True, "message": message, "redirect": to, **extra})
    messages.success(request, message)
    return redirect(to)


def failed(request: HttpRequest, errors: list[str], to: str, status: int = 400) -> HttpResponse:
    """Bad input: a clear message and nothing stored (the service raised before writing)."""
    if from_script(request):
        return JsonResponse({"ok": False, "errors": errors}, status=status)
    for error in errors:
        messages.error(request, error)
    return redirect(to)


def error_messages(error: ValidationError | Any) -> list[str]:
    if isinstance(error, ValidationError):
        return [str(m) for m in error.messages]
    if hasattr(error, "items"):  # form.errors
        return [str(m) for _field, errors in error.items() for m in errors]
    return [str(error)]
