"""The storeroom: stock at the center, the orders waiting for parts, purchase orders and their
receipt, what to order, the catalogue's import. Views parse, call a service, render."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from repaircenter.accounts.permissions import role_required
from repaircenter.accounts.roles import Role
from repaircenter.orders import workflow
from repaircenter.orders.workflow import Actor, WorkflowError
from repaircenter.orders.workflow.parts import BUYERS
from repaircenter.orders.workflow.parts import STOREKEEPERS as PART_KEEPERS
from repaircenter.stock import catalogue, purchasing
from repaircenter.stock import services as stock
from repaircenter.stock.models import Part, PurchaseStatus, Supplier
from repaircenter.stock.services import StockError

from .stock_selectors import (
    orders_waiting_for,
    purchase_order,
    purchase_orders,
    stock_levels,
    waiting_for_parts,
)

STOREKEEPERS = tuple(PART_KEEPERS)
MANAGERS = (Role.MANAGER,)


def _center_or_refuse(request):
    if request.workplace.center is None:
        raise StockError(_("Choose a center in the header first: stock is kept per center."))
    return request.workplace.center


@require_GET
@role_required(*STOREKEEPERS)
def stock_page(request):
    text = " ".join(request.GET.get("q", "").split())[:100]
    low = request.GET.get("low") == "1"
    return render(request, "staff/stock.html", {
        "levels": stock_levels(request.workplace, text, low_only=low), "query": text,
        "low": low, "may_adjust": Role.MANAGER in request.user.roles,
    })


@require_POST
@role_required(*MANAGERS)
def stock_adjust(request):
    """A write-off, a return to the supplier or a count, at the center chosen."""
    action = request.POST.get("action")
    changes = {"write_off": stock.write_off, "return": stock.return_to_supplier}
    try:
        center = _center_or_refuse(request)
        part = Part.objects.filter(pk=request.POST.get("part")).first()
        if part is None:
            raise StockError(_("That part is not in the catalogue."))
        reason = request.POST.get("reason", "")
        if action == "count":
            stock.count(center_id=center.pk, part_id=part.pk, by=request.user, reason=reason,
                        counted=request.POST.get("quantity", ""))
        elif action in changes:
            changes[action](center_id=center.pk, part_id=part.pk, by=request.user,
                            reason=reason, quantity=request.POST.get("quantity", ""))
        else:
            raise StockError(_("Choose what to do: write off, return or count."))
    except StockError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Stock of %(part)s changed.") % {"part": part})
    return redirect("staff:stock")


@require_GET
@role_required(*STOREKEEPERS)
def waiting(request):
    return render(request, "staff/waiting_for_parts.html",
                  {"rows": waiting_for_parts(request.workplace),
                   "today": datetime.date.today()})


@require_http_methods(["GET", "POST"])
@role_required(*STOREKEEPERS)
def purchase_order_list(request):
    if request.method == "POST":
        if not request.user.has_role(*BUYERS):
            messages.error(request, _("Only a manager orders from suppliers."))
            return redirect("staff:purchase_orders")
        try:
            center = _center_or_refuse(request)
            supplier = Supplier.objects.filter(pk=request.POST.get("supplier")).first()
            if supplier is None:
                raise StockError(_("Choose the supplier."))
            made = purchasing.create(center_id=center.pk, supplier=supplier, by=request.user)
        except StockError as error:
            messages.error(request, error.message)
            return redirect("staff:purchase_orders")
        return redirect("staff:purchase_order", pk=made.pk)
    return render(request, "staff/purchase_orders.html", {
        "purchase_orders": purchase_orders(request.workplace),
        "suppliers": Supplier.objects.all(),
    })


def _date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        raise StockError(_("Write the date as YYYY-MM-DD.")) from None


@require_http_methods(["GET", "POST"])
@role_required(*STOREKEEPERS)
def purchase_order_page(request, pk: int):
    po = purchase_order(request.workplace, pk)
    if request.method == "GET":
        waiting = orders_waiting_for(po)
        for line in po.lines.all():
            line.waiting_orders = waiting.get(line.part_id, [])
        return render(request, "staff/purchase_order.html", {
            "po": po, "may_order": request.user.has_role(*BUYERS),
            "may_receive": po.status in purchasing.OPEN_PURCHASES,
            "parts": Part.objects.filter(active=True).only("pk", "sku", "name")
            if po.status == PurchaseStatus.DRAFT else (),
        })
    action = request.POST.get("action")
    done = ""
    try:
        if action == "receive":
            quantities = {line.part_id: request.POST.get(f"received-{line.pk}", "")
                          for line in po.lines.all()}
            moved = workflow.receive_purchase_order(
                purchase_order=po, actor=Actor.staff(request.user), quantities=quantities,
                reason=request.POST.get("reason", ""))
            done = _("Delivery received.")
            if moved:
                done += " " + _("Now ready for repair: %(orders)s.") % {
                    "orders": ", ".join(o.display_number for o in moved)}
        elif not request.user.has_role(*BUYERS):
            raise StockError(_("Only a manager orders from suppliers."))
        elif action == "add":
            part = Part.objects.filter(pk=request.POST.get("part"), active=True).first()
            if part is None:
                raise StockError(_("Choose a part of the catalogue."))
            purchasing.set_line(purchase_order=po, part=part,
                                quantity=request.POST.get("quantity", ""),
                                unit_cost=request.POST.get("unit_cost") or None)
            done = _("Line saved.")
        elif action == "remove":
            purchasing.remove_line(purchase_order=po, line_id=int(request.POST.get("line", 0)))
            done = _("Line removed.")
        elif action == "send":
            sent = purchasing.send(purchase_order=po,
                                   expected_on=_date(request.POST.get("expected_on", "")))
            workflow.after_purchase_sent(sent)
            done = _("Purchase order sent.")
        elif action == "cancel":
            purchasing.cancel(purchase_order=po)
            done = _("Purchase order cancelled.")
        else:
            raise Http404
    except StockError as error:
        messages.error(request, error.message)
    except WorkflowError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("staff:purchase_order", pk=po.pk)


@require_GET
@role_required(*STOREKEEPERS)
def what_to_order(request):
    center = request.workplace.center
    suggestions = (purchasing.what_to_order(center.pk, workflow.parts_wanted(center.pk))
                   if center else [])
    return render(request, "staff/what_to_order.html",
                  {"suggestions": suggestions, "center": center})


@require_http_methods(["GET", "POST"])
@role_required(*MANAGERS)
def catalogue_import(request):
    result = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose the CSV file to import."))
        else:
            result = catalogue.import_csv(upload.read())
            if result.ok:
                messages.success(request, _("%(made)s parts added, %(changed)s updated.")
                                 % {"made": result.created, "changed": result.updated})
            else:
                messages.error(request, _("Nothing was imported: fix the rows listed below."))
    return render(request, "staff/catalogue_import.html", {"result": result},
                  status=400 if result is not None and not result.ok else 200)
