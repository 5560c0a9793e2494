from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from ninja.openapi.docs import Swagger

from findings.api.api import api

docs = Swagger()


def api_docs(request: HttpRequest) -> HttpResponse:
    """Swagger UI from django-ninja's own static files (no CDN); needs a signed-in session."""
    return docs.render_page(request, api)


api_urls = api.urls
for pattern in api_urls[0]:
    if isinstance(pattern, URLPattern) and pattern.name != "openapi-json":
        # Operations authenticate with their token; the sign-in redirect is for pages.
        login_not_required(pattern.callback)

urlpatterns = [
    path("v1/", api_urls),
    path("docs", api_docs, name="api_docs"),
]
