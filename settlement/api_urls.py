from django.urls import path

from settlement import apis

urlpatterns = [
    path("orders/", apis.OrderHubApi.as_view(), name="api-settlement-orders"),
    path("buys/<int:pk>/me/", apis.MyPickupApi.as_view(), name="api-settlement-me"),
    path("buys/<int:pk>/reconciliation/", apis.ReconciliationApi.as_view(), name="api-settlement-reconciliation"),
    path("buys/<int:pk>/reminders/", apis.PaymentReminderApi.as_view(), name="api-settlement-reminders"),
    path("buys/<int:pk>/refunds/", apis.RefundListApi.as_view(), name="api-settlement-refunds"),
    path("buys/<int:pk>/price-changes/", apis.PriceChangeListApi.as_view(), name="api-settlement-price-changes"),
    path("buys/<int:pk>/arrivals/", apis.ArrivalsApi.as_view(), name="api-settlement-arrivals"),
    path("buys/<int:pk>/pickup-codes/", apis.PickupCodesApi.as_view(), name="api-settlement-pickup-codes"),
    path("buys/<int:pk>/handover/", apis.HandoverApi.as_view(), name="api-settlement-handover"),
    path("buys/<int:pk>/distribution/", apis.ProgressApi.as_view(), name="api-settlement-progress"),
    path("buys/<int:pk>/after-sales/", apis.AfterSalesListApi.as_view(), name="api-settlement-after-sales"),
    path("buys/<int:pk>/donations/", apis.DonationListApi.as_view(), name="api-settlement-donations"),
    path("buys/<int:pk>/pick-list/", apis.PickListApi.as_view(), name="api-settlement-pick-list"),
    path("buys/<int:pk>/payee/", apis.PayeeApi.as_view(), name="api-settlement-payee"),
    path("payee/", apis.PayeeDefaultApi.as_view(), name="api-settlement-payee-default"),
    path("donations/<int:donation_pk>/", apis.DonationActionApi.as_view(), name="api-settlement-donation-action"),
    path("entries/<int:entry_pk>/payment/", apis.PaymentMarkApi.as_view(), name="api-settlement-pay"),
    path("entries/<int:entry_pk>/payment/confirm/", apis.PaymentConfirmApi.as_view(), name="api-settlement-confirm"),
    path("entries/<int:entry_pk>/after-sales/", apis.AfterSalesReportApi.as_view(), name="api-settlement-report"),
    path("price-changes/<int:change_pk>/respond/", apis.PriceChangeRespondApi.as_view(), name="api-settlement-respond"),
    path("refunds/<int:refund_pk>/paid-back/", apis.RefundPaidBackApi.as_view(), name="api-settlement-paid-back"),
    path("refunds/<int:refund_pk>/received/", apis.RefundReceivedApi.as_view(), name="api-settlement-received"),
    path("after-sales/<int:report_pk>/resolve/", apis.AfterSalesResolveApi.as_view(), name="api-settlement-resolve"),
]
