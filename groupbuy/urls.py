from django.urls import path, re_path

from groupbuy import pool_views, views

app_name = "groupbuy"

urlpatterns = [
    path("", views.buy_list, name="buy_list"),
    path("mine/", views.my_entries, name="my_entries"),
    path("new/", views.buy_create, name="buy_create"),
    path("<int:pk>/", views.buy_detail, name="buy_detail"),
    path("<int:pk>/join/", views.buy_join, name="buy_join"),
    path("<int:pk>/entries/<int:entry_pk>/change/", views.entry_change, name="entry_change"),
    path("<int:pk>/entries/<int:entry_pk>/withdraw/", views.entry_withdraw, name="entry_withdraw"),
    path("<int:pk>/proxy/", views.proxy_signup, name="proxy_signup"),
    path("<int:pk>/manage/", views.dashboard, name="dashboard"),
    path("<int:pk>/close/", views.buy_close_now, name="buy_close_now"),
    path("<int:pk>/cancel/", views.buy_cancel, name="buy_cancel"),
    path("<int:pk>/ordered/", views.buy_mark_ordered, name="buy_mark_ordered"),
    path("<int:pk>/order/", views.purchase_order, name="purchase_order"),
    re_path(r"^(?P<pk>[0-9]+)/export/(?P<what>signups|order)\.(?P<fmt>csv|xlsx)$", views.export, name="export"),
    path("suppliers/", views.supplier_list, name="supplier_list"),
    path("suppliers/<int:pk>/", views.supplier_detail, name="supplier_detail"),
    path("offers/<int:pk>/", views.offer_detail, name="offer_detail"),
    re_path(r"^photos/(?P<pk>[0-9]+)/(?P<variant>thumb|full)/$", views.offer_photo, name="offer_photo"),
    # Pools across compounds, helper leaders, the leaders' board (groupbuy/pool_views.py).
    path("board/", pool_views.board, name="board"),
    path("pools/<int:pk>/", pool_views.pool_detail, name="pool_detail"),
    path("pools/<int:pk>/offer/", pool_views.pool_offer, name="pool_offer"),
    path("pools/<int:pk>/join/", pool_views.pool_join, name="pool_join"),
    path("pools/<int:pk>/cancel/", pool_views.pool_cancel, name="pool_cancel"),
    path("<int:pk>/coordination/", pool_views.buy_coordination, name="buy_coordination"),
    path("<int:pk>/pool/", pool_views.pool_start, name="pool_start"),
    path("<int:pk>/pool/leave/", pool_views.pool_leave, name="pool_leave"),
    path("<int:pk>/share/", pool_views.share_form, name="pool_share_form"),
    path("<int:pk>/share/send/", pool_views.pool_share, name="pool_share"),
]
