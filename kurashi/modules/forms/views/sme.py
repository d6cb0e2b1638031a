"""Plan 3.1 public pages: the SME support catalogue with acceptance windows and reminders, and
the local IT-vendor directory."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kurashi.core.tenancy import cross_tenant, tenant_names, tenant_scope
from kurashi.modules.forms import selectors
from kurashi.modules.forms.models import SupportProgramme
from kurashi.modules.forms.services import sme
from kurashi.modules.forms.views.common import private, public_unless_signed_in


@require_GET
@public_unless_signed_in(60)
def sme_view(request: HttpRequest) -> HttpResponse:
    municipality = request.GET.get("municipality", "")
    page_number = request.GET.get("page", "1")
    vendors = selectors.list_vendors(
        municipality_code=municipality,
        it_support_only=request.GET.get("it_support") == "1",
        page=int(page_number) if page_number.isdigit() else 1,
    )
    return render(
        request,
        "forms/sme.html",
        {
            "programmes": selectors.list_programmes(open_only=True),
            "vendors": vendors,
            "municipalities": [t for t in tenant_names().values() if t.kind == "municipality"],
            "municipality": municipality,
            "it_support": request.GET.get("it_support") == "1",
            "now": timezone.now(),
            "names": tenant_names(),
        },
    )


@require_POST
@private
def remind_view(request: HttpRequest, pk: int) -> HttpResponse:
    with cross_tenant(reason="public reminder sign-up"):
        programme = SupportProgramme.objects.filter(pk=pk, is_published=True).first()
    if programme is None:
        raise Http404
    try:
        with tenant_scope(programme.tenant_code):
            sme.ask_reminder(
                programme=programme,
                email=request.POST.get("email", ""),
                language=get_language() or "ja",
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("We will e-mail you 7 days before applications close."))
    return redirect("forms:sme")
