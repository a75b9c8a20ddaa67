from django.urls import path, register_converter

from repaircenter.billing import views as billing_views
from repaircenter.documents import views as document_views
from repaircenter.orders.selectors import printed_as, printed_number

from . import (
    estimate_views,
    repair_views,
    stock_views,
    storage_views,
    transfer_views,
    views,
    warranty_views,
)


class OrderNumber:
    """An order's number in a staff URL, as the system writes it (16: the chain-wide number) or
    as printed on the papers and typed from them (R-000016, w3: the center's prefix and count,
    looked up). The view gets the chain-wide number; a printed number of no order is a 404."""

    regex = r"(?:[A-Za-z]{1,4}-?)?[0-9]{1,9}"

    def to_python(self, value: str) -> int:
        if value.isdigit():
            return int(value)
        number = printed_as(*printed_number(value)).values_list("number", flat=True).first()
        if number is None:
            raise ValueError(value)  # no match: the URL is not found
        return number

    def to_url(self, value) -> str:
        return str(int(value))


register_converter(OrderNumber, "order")

app_name = "staff"

urlpatterns = [
    path("", views.home, name="home"),
    path("center/", views.choose_center, name="choose_center"),
    path("intake/", views.intake, name="intake"),
    path("intake/customer/", views.customer_lookup, name="customer_lookup"),
    path("intake/device/", warranty_views.device_history, name="device_history"),
    path("search/", views.search, name="search"),
    path("queues/<slug:slug>/", views.queue, name="queue"),
    path("orders/<order:number>/", views.order_detail, name="order"),
    path("orders/<order:number>/intake-order/", views.intake_order, name="intake_order"),
    path("orders/<order:number>/intake-order/customer-copy.pdf", views.customer_copy_pdf,
         name="customer_copy_pdf"),
    path("orders/<order:number>/label/", views.label, name="label"),
    path("orders/<order:number>/photos/<int:pk>/", views.photo, name="photo"),
    path("orders/<order:number>/condition-photos/<int:pk>/", views.condition_photo,
         name="condition_photo"),
    path("orders/<order:number>/intake-signature/", views.intake_signature,
         name="intake_signature"),
    path("orders/<order:number>/passcode/", views.passcode, name="passcode"),
    path("orders/<order:number>/events/<int:event_id>/signature/", views.signature,
         name="signature"),
    path("orders/<order:number>/do/<slug:action>/", views.order_action, name="order_action"),
    path("orders/<order:number>/link/", views.replace_link, name="replace_link"),
    path("orders/<order:number>/transfer/", transfer_views.send, name="send_transfer"),
    path("orders/<order:number>/transfer/<int:pk>/receive/", transfer_views.receive,
         name="receive_transfer"),
    path("transfers/", transfer_views.under_way, name="transfers"),
    path("orders/<order:number>/storage-location/", storage_views.set_storage_location,
         name="storage_location"),
    path("storage/", storage_views.storage, name="storage"),
    path("stock/", stock_views.stock_page, name="stock"),
    path("stock/adjust/", stock_views.stock_adjust, name="stock_adjust"),
    path("stock/waiting/", stock_views.waiting, name="waiting_for_parts"),
    path("stock/what-to-order/", stock_views.what_to_order, name="what_to_order"),
    path("stock/purchase-orders/", stock_views.purchase_order_list, name="purchase_orders"),
    path("stock/purchase-orders/<int:pk>/", stock_views.purchase_order_page,
         name="purchase_order"),
    path("stock/import/", stock_views.catalogue_import, name="catalogue_import"),
    path("disposal/", storage_views.disposal, name="disposal"),
    path("disposal/confirm/", storage_views.confirm_disposal, name="confirm_disposal"),
    path("disposal/acts/<order:number>/", storage_views.disposal_act_page, name="disposal_act"),
    path("orders/<order:number>/findings/", estimate_views.findings, name="findings"),
    path("orders/<order:number>/decision-slip/", estimate_views.decision_slip,
         name="decision_slip"),
    path("orders/<order:number>/estimate/", estimate_views.estimate, name="estimate"),
    path("orders/<order:number>/estimate/start/", estimate_views.estimate_start,
         name="estimate_start"),
    path("orders/<order:number>/estimate/<int:estimate_id>/details/",
         estimate_views.estimate_details, name="estimate_details"),
    path("orders/<order:number>/estimate/<int:estimate_id>/lines/",
         estimate_views.estimate_add_line, name="estimate_add_line"),
    path("orders/<order:number>/estimate/<int:estimate_id>/parts/<int:part_id>/",
         estimate_views.estimate_add_part, name="estimate_add_part"),
    path("orders/<order:number>/estimate/<int:estimate_id>/price-list/<int:entry_id>/",
         estimate_views.estimate_add_from_price_list, name="estimate_add_from_price_list"),
    path("orders/<order:number>/estimate/<int:estimate_id>/lines/<int:line_id>/",
         estimate_views.estimate_update_line, name="estimate_update_line"),
    path("orders/<order:number>/estimate/<int:estimate_id>/lines/<int:line_id>/remove/",
         estimate_views.estimate_remove_line, name="estimate_remove_line"),
    path("orders/<order:number>/estimate/<int:estimate_id>/discard/",
         estimate_views.estimate_discard, name="estimate_discard"),
    path("orders/<order:number>/estimate/<int:estimate_id>/send/", estimate_views.estimate_send,
         name="estimate_send"),
    path("orders/<order:number>/estimate/<int:estimate_id>/warranty/",
         estimate_views.estimate_warranty, name="estimate_warranty"),
    path("orders/<order:number>/estimate/<int:estimate_id>/repair-under-warranty/",
         estimate_views.estimate_repair_under_warranty, name="estimate_repair_under_warranty"),
    path("orders/<order:number>/lines/<int:line_id>/done/", repair_views.line_done,
         name="line_done"),
    path("orders/<order:number>/lines/<int:line_id>/undo/", repair_views.line_undo,
         name="line_undo"),
    path("orders/<order:number>/stress-test/", repair_views.stress_test, name="stress_test"),
    path("orders/<order:number>/unlock-issuance/", repair_views.unlock_issuance,
         name="unlock_issuance"),
    path("orders/<order:number>/payments/", billing_views.take_payment, name="take_payment"),
    path("orders/<order:number>/documents/<int:pk>/", document_views.document_page,
         name="document_page"),
    path("orders/<order:number>/documents/<int:pk>/pdf/", document_views.document_pdf,
         name="document_pdf"),
]
