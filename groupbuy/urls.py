"""The group-buy pages, mounted once under /buys/: the `groupbuy` namespace (residents, leaders, catalogue, pools)
and the `printables` namespace (paper 接龙, pick lists, charts), names and paths unchanged."""

from django.urls import include, path, re_path

from groupbuy.views import catalog, leaders, pools, printables, residents, share
from settlement.views import orders

buy_patterns = [
    path("", residents.buy_list, name="buy_list"),
    path("mine/", orders.my_entries, name="my_entries"),
    path("new/", leaders.buy_create, name="buy_create"),
    path("<int:pk>/", residents.buy_detail, name="buy_detail"),
    path("<int:pk>/join/", residents.buy_join, name="buy_join"),
    path("<int:pk>/entries/<int:entry_pk>/change/", residents.entry_change, name="entry_change"),
    path("<int:pk>/entries/<int:entry_pk>/withdraw/", residents.entry_withdraw, name="entry_withdraw"),
    path("<int:pk>/proxy/", residents.proxy_signup, name="proxy_signup"),
    path("<int:pk>/manage/", leaders.dashboard, name="dashboard"),
    path("<int:pk>/close/", leaders.buy_close_now, name="buy_close_now"),
    path("<int:pk>/cancel/", leaders.buy_cancel, name="buy_cancel"),
    path("<int:pk>/ordered/", leaders.buy_mark_ordered, name="buy_mark_ordered"),
    path("<int:pk>/order/", leaders.purchase_order, name="purchase_order"),
    re_path(r"^(?P<pk>[0-9]+)/export/(?P<what>signups|order)\.(?P<fmt>csv|xlsx)$", leaders.export, name="export"),
    path("suppliers/", catalog.supplier_list, name="supplier_list"),
    path("suppliers/<int:pk>/", catalog.supplier_detail, name="supplier_detail"),
    path("offers/<int:pk>/", catalog.offer_detail, name="offer_detail"),
    re_path(r"^photos/(?P<pk>[0-9]+)/(?P<variant>thumb|full)/$", catalog.offer_photo, name="offer_photo"),
    # Pools across compounds, helper leaders, the leaders' board (groupbuy/views/pools.py).
    path("board/", pools.board, name="board"),
    path("pools/<int:pk>/", pools.pool_detail, name="pool_detail"),
    path("pools/<int:pk>/offer/", pools.pool_offer, name="pool_offer"),
    path("pools/<int:pk>/join/", pools.pool_join, name="pool_join"),
    path("pools/<int:pk>/cancel/", pools.pool_cancel, name="pool_cancel"),
    path("<int:pk>/coordination/", pools.buy_coordination, name="buy_coordination"),
    path("<int:pk>/pool/", pools.pool_start, name="pool_start"),
    path("<int:pk>/pool/leave/", pools.pool_leave, name="pool_leave"),
    path("<int:pk>/share/", pools.share_form, name="pool_share_form"),
    path("<int:pk>/share/send/", pools.pool_share, name="pool_share"),
    # Sharing a buy (groupbuy/views/share.py): the poster to download and the leader's link reset.
    path("<int:pk>/poster.png", share.buy_poster, name="buy_poster"),
    path("<int:pk>/share-link/reset/", share.share_link_reset, name="share_link_reset"),
]

printable_patterns = [
    path("<int:pk>/print/sign-up-sheet/", printables.signup_sheet, name="signup_sheet"),
    path("<int:pk>/print/pick-list/", printables.pick_list, name="pick_list"),
    path("<int:pk>/stats/", printables.buy_stats, name="stats"),
]

# The public short link of a buy, mounted at /s/ by config/urls.py (namespace `share`): no login.
share_patterns = [
    path("<str:token>/", share.share_preview, name="preview"),
    path("<str:token>/photo/<int:photo_id>/", share.share_photo, name="photo"),
    path("<str:token>/poster.png", share.share_poster, name="poster"),
    path("<str:token>/go/", share.share_go, name="go"),
]

urlpatterns = [
    path("", include((buy_patterns, "groupbuy"))),
    path("", include((printable_patterns, "printables"))),
]
