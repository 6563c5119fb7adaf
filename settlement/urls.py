from django.urls import path, re_path

from settlement import views

app_name = "settlement"

urlpatterns = [
    path("buys/<int:pk>/", views.hub, name="hub"),
    path("buys/<int:pk>/reconcile/", views.reconcile, name="reconcile"),
    path("buys/<int:pk>/remind/", views.remind, name="remind"),
    path("buys/<int:pk>/refunds/", views.refunds, name="refunds"),
    path("buys/<int:pk>/price-changes/new/", views.price_change_new, name="price_change_new"),
    path("buys/<int:pk>/arrivals/", views.arrivals, name="arrivals"),
    path("buys/<int:pk>/after-sales/", views.after_sales_list, name="after_sales"),
    path("buys/<int:pk>/donations/", views.donations, name="donations"),
    path("buys/<int:pk>/distribution/", views.distribution, name="distribution"),
    path("buys/<int:pk>/distribution/codes/", views.issue_codes, name="issue_codes"),
    path("buys/<int:pk>/pick-list/", views.pick_list, name="pick_list"),
    path("buys/<int:pk>/queue/", views.gate_queue, name="queue"),
    path("buys/<int:pk>/handover/", views.handover, name="handover"),
    path("buys/<int:pk>/payee/", views.payee_edit, name="payee"),
    path("buys/<int:pk>/payee/qr/", views.payee_qr, name="payee_qr"),
    path("payee/", views.payee_edit, name="payee_default"),
    path("payee/qr/", views.payee_default_qr, name="payee_default_qr"),
    path("entries/<int:entry_pk>/pay/", views.pay, name="pay"),
    path("entries/<int:entry_pk>/confirm/", views.confirm_payment, name="confirm"),
    path("entries/<int:entry_pk>/report/", views.report_problem, name="report"),
    path("price-changes/<int:change_pk>/respond/", views.respond, name="respond"),
    path("refunds/<int:refund_pk>/paid-back/", views.refund_paid_back, name="refund_paid_back"),
    path("refunds/<int:refund_pk>/received/", views.refund_received, name="refund_received"),
    path("after-sales/<int:report_pk>/resolve/", views.after_sales_resolve, name="after_sales_resolve"),
    path("donations/<int:donation_pk>/", views.donation_action, name="donation_action"),
    re_path(r"^files/(?P<kind>payment|evidence|photo)/(?P<pk>[0-9]+)/$", views.private_file, name="file"),
]
