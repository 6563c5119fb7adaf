from django.urls import path

from groupbuy import apis

urlpatterns = [
    path("buys/", apis.BuyListApi.as_view(), name="api-buys"),
    path("buys/<int:pk>/", apis.BuyDetailApi.as_view(), name="api-buy"),
    path("buys/<int:pk>/entries/", apis.BuyEntriesApi.as_view(), name="api-buy-entries"),
    path("buys/<int:pk>/close/", apis.BuyCloseApi.as_view(), name="api-buy-close"),
    path("buys/<int:pk>/cancel/", apis.BuyCancelApi.as_view(), name="api-buy-cancel"),
    path("buys/<int:pk>/mark-ordered/", apis.BuyMarkOrderedApi.as_view(), name="api-buy-mark-ordered"),
    path("buys/<int:pk>/purchase-order/", apis.PurchaseOrderApi.as_view(), name="api-buy-purchase-order"),
    path("entries/mine/", apis.MyEntriesApi.as_view(), name="api-my-entries"),
    path("entries/<int:pk>/", apis.EntryDetailApi.as_view(), name="api-entry"),
    path("entries/<int:pk>/withdraw/", apis.EntryWithdrawApi.as_view(), name="api-entry-withdraw"),
    path("suppliers/", apis.SupplierListApi.as_view(), name="api-suppliers"),
    path("suppliers/<int:pk>/", apis.SupplierDetailApi.as_view(), name="api-supplier"),
    path("suppliers/<int:pk>/offers/", apis.SupplierOffersApi.as_view(), name="api-supplier-offers"),
    path("offers/<int:pk>/", apis.OfferDetailApi.as_view(), name="api-offer"),
    path("offers/<int:pk>/photos/", apis.OfferPhotosApi.as_view(), name="api-offer-photos"),
]
