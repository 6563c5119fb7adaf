from django.urls import path

from groupbuy.apis import buys as apis
from groupbuy.apis import pools as pool_apis

urlpatterns = [
    path("buys/", apis.BuyListApi.as_view(), name="api-buys"),
    path("buys/<int:pk>/", apis.BuyDetailApi.as_view(), name="api-buy"),
    path("buys/<int:pk>/share-text/", apis.BuyShareTextApi.as_view(), name="api-buy-share-text"),
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
    # Pools across compounds, 帮卖, the leaders' board (groupbuy/apis/pools.py).
    path("pools/<int:pk>/", pool_apis.PoolDetailApi.as_view(), name="api-pool"),
    path("pools/<int:pk>/offer/", pool_apis.PoolOfferApi.as_view(), name="api-pool-offer"),
    path("pools/<int:pk>/join/", pool_apis.PoolJoinApi.as_view(), name="api-pool-join"),
    path("pools/<int:pk>/cancel/", pool_apis.PoolCancelApi.as_view(), name="api-pool-cancel"),
    path("buys/<int:pk>/pool/", pool_apis.BuyPoolApi.as_view(), name="api-buy-pool"),
    path("buys/<int:pk>/pool/leave/", pool_apis.BuyLeavePoolApi.as_view(), name="api-buy-pool-leave"),
    path("buys/<int:pk>/share/", pool_apis.BuyShareApi.as_view(), name="api-buy-share"),
    path("buys/<int:pk>/coordination/", pool_apis.BuyCoordinationApi.as_view(), name="api-buy-coordination"),
    path("board/", pool_apis.BoardApi.as_view(), name="api-board"),
]
