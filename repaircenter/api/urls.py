from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from . import views
from .docs import ApiDocs

app_name = "api"

v1 = [
    path("equipment-kinds/", views.EquipmentKindList.as_view(), name="equipment_kinds"),
    path("customers/", views.CustomerList.as_view(), name="customers"),
    path("customers/<int:pk>/", views.CustomerDetail.as_view(), name="customer"),
    path("orders/", views.OrderList.as_view(), name="orders"),
    path("orders/<int:number>/", views.OrderDetail.as_view(), name="order"),
    path("orders/<int:number>/start-diagnosis/", views.StartDiagnosis.as_view(),
         name="start_diagnosis"),
    path("orders/<int:number>/not-repairable/", views.NotRepairable.as_view(),
         name="not_repairable"),
    path("orders/<int:number>/estimates/", views.EstimateCreate.as_view(), name="estimates"),
    path("orders/<int:number>/estimates/<int:estimate_number>/send/",
         views.EstimateSend.as_view(), name="estimate_send"),
    path("orders/<int:number>/decisions/", views.Decision.as_view(), name="decisions"),
    path("orders/<int:number>/start-repair/", views.StartRepair.as_view(), name="start_repair"),
    path("orders/<int:number>/lines/<int:line_id>/done/", views.LineDone.as_view(),
         name="line_done"),
    path("orders/<int:number>/finish-works/", views.FinishWorks.as_view(), name="finish_works"),
    path("orders/<int:number>/tests/", views.StressTestRun.as_view(), name="tests"),
    path("orders/<int:number>/payments/", views.PaymentCreate.as_view(), name="payments"),
    path("orders/<int:number>/issue/", views.Issue.as_view(), name="issue"),
    path("orders/<int:number>/documents/<int:pk>/", views.DocumentPdf.as_view(),
         name="document"),
]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", ApiDocs.as_view(url_name="api:schema"), name="docs"),
    path("v1/", include(v1)),
    re_path(r"^v1/", views.not_found),
]
