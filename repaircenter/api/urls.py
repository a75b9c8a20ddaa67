from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from . import stock_views, views
from .docs import ApiDocs
from .operations import OPERATION_VIEWS

app_name = "api"

v1 = [
    path("equipment-kinds/", views.EquipmentKindList.as_view(), name="equipment_kinds"),
    path("customers/", views.CustomerList.as_view(), name="customers"),
    path("customers/<int:pk>/", views.CustomerDetail.as_view(), name="customer"),
    path("devices/", views.DeviceList.as_view(), name="devices"),
    path("orders/", views.OrderList.as_view(), name="orders"),
    path("orders/<int:number>/", views.OrderDetail.as_view(), name="order"),
    path("orders/<int:number>/estimates/", views.EstimateCreate.as_view(), name="estimates"),
    path("orders/<int:number>/lines/<int:line_id>/done/", views.LineDone.as_view(),
         name="line_done"),
    path("orders/<int:number>/payments/", views.PaymentCreate.as_view(), name="payments"),
    path("orders/<int:number>/documents/<int:pk>/", views.DocumentPdf.as_view(),
         name="document"),
    path("parts/", stock_views.PartList.as_view(), name="parts"),
    path("stock/", stock_views.LevelList.as_view(), name="stock"),
    path("stock/movements/", stock_views.MovementList.as_view(), name="stock_movements"),
    path("purchase-orders/", stock_views.PurchaseOrderList.as_view(), name="purchase_orders"),
    path("purchase-orders/<int:pk>/", stock_views.PurchaseOrderDetail.as_view(),
         name="purchase_order"),
    path("purchase-orders/<int:pk>/send/", stock_views.PurchaseOrderSend.as_view(),
         name="purchase_order_send"),
    path("purchase-orders/<int:pk>/cancel/", stock_views.PurchaseOrderCancel.as_view(),
         name="purchase_order_cancel"),
    path("purchase-orders/<int:pk>/receive/", stock_views.PurchaseOrderReceive.as_view(),
         name="purchase_order_receive"),
    # The order's transitions, one operation per `api` path of the registry.
    *[path(f"orders/<int:number>/{operation_path}/", view.as_view(), name=view.operation.name)
      for operation_path, view in OPERATION_VIEWS.items()],
]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", ApiDocs.as_view(url_name="api:schema"), name="docs"),
    path("v1/", include(v1)),
    re_path(r"^v1/", views.not_found),
]
