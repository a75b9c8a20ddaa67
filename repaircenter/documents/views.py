"""Issued documents for staff: the PDF as stored, and the page it was made from, to print."""

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET

from repaircenter.accounts.permissions import role_required
from repaircenter.accounts.roles import STAFF_ROLES
from repaircenter.core.middleware import content_security_policy, inline_styles

from .issuing import open_pdf
from .models import Document


def _document(number: int, pk: int) -> Document:
    return get_object_or_404(Document, pk=pk, orders__number=number)


@require_GET
@role_required(*STAFF_ROLES)
def document_pdf(request, number: int, pk: int):
    document = _document(number, pk)
    try:
        handle = open_pdf(document)
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="application/pdf", filename=document.filename,
                            as_attachment=request.GET.get("download") == "1")
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@role_required(*STAFF_ROLES)
def document_page(request, number: int, pk: int):
    """The page as issued, with a print bar on screen only."""
    document = _document(number, pk)
    bar = render_to_string("documents/_print_bar.html",
                           {"document": document, "number": number}, request=request)
    html = document.html.replace("<body>", "<body>" + bar, 1)
    response = HttpResponse(html)
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = content_security_policy(
        inline_styles=inline_styles(document.html))
    return response
