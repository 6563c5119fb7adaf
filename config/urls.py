from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import views as account_views
from core import pwa
from groupbuy.urls import share_patterns
from groupbuy.views import bench as bench_views

urlpatterns = [
    path("", account_views.home, name="home"),
    # The installable web app (core/pwa.py): the worker must be served from the root to control every page.
    path("manifest.webmanifest", pwa.manifest, name="pwa_manifest"),
    path("sw.js", pwa.service_worker, name="pwa_sw"),
    path("offline/", pwa.offline, name="pwa_offline"),
    path("favicon.ico", pwa.favicon, name="pwa_favicon"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("accounts.auth_urls")),  # phone login by code (allauth's URL names)
    path("compliance/", include("compliance.urls")),
    path("buys/", include("groupbuy.urls")),
    path("s/", include((share_patterns, "share"))),  # a buy's public short link (groupbuy/views/share.py)
    path("settlement/", include("settlement.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("accounts.api_urls")),
    path("api/compliance/", include("compliance.api_urls")),
    path("api/", include("groupbuy.api_urls")),
    path("api/settlement/", include("settlement.api_urls")),
]
# Friendly pages in the visitor's language with the header and a way back; the coded JSON under /api/.
handler400 = "core.error_pages.bad_request"
handler403 = "core.error_pages.permission_denied"
handler404 = "core.error_pages.page_not_found"
handler500 = "core.error_pages.server_error"
# Empty unless BENCH_FLOOR_ENABLED=1 (set only by bench/run.py for its own server).
urlpatterns += bench_views.urlpatterns()
