"""URLs of the printables and the charts page (groupbuy/print_views.py), under /buys/ next to groupbuy.urls."""

from django.urls import path

from groupbuy import print_views

app_name = "printables"

urlpatterns = [
    path("<int:pk>/print/sign-up-sheet/", print_views.signup_sheet, name="signup_sheet"),
    path("<int:pk>/print/pick-list/", print_views.pick_list, name="pick_list"),
    path("<int:pk>/stats/", print_views.buy_stats, name="stats"),
]
