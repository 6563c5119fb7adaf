"""A test-only URLconf: the site's URLs and handlers plus views that fail in each way."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseForbidden
from django.urls import include, path
from django.views.decorators.http import require_POST

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401 - Django reads them here


def forbidden(request):
    raise PermissionDenied


def bare_forbidden(request):
    return HttpResponseForbidden()


def broken(request):
    raise RuntimeError("secret stack detail")


@require_POST
def post_only(request):
    return HttpResponse("done")


def form_page(request):
    return HttpResponse("posted")


urlpatterns = [
    path("t/forbidden/", forbidden),
    path("t/bare-forbidden/", bare_forbidden),
    path("t/broken/", broken),
    path("t/post-only/", post_only),
    path("t/form/", form_page),
    path("api/t/broken/", broken),
    path("api/t/forbidden/", forbidden),
    path("", include("config.urls")),
]
