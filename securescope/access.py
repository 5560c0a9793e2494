"""Reading needs a role: every page, partial and export asks for `findings.view_findings`.

Like Django's LoginRequiredMiddleware, it decides for every view at once, so a page added later
cannot forget. Left alone: views that need no login (the sign-in page; the API, whose bearer
token the API checks itself), signing out, and the admin, which checks staff status.
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control

READ_PERMISSION = "findings.view_findings"
UNGUARDED_ROUTES = {"logout"}


class ReadPermissionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable, view_args: Any, view_kwargs: Any
    ) -> None:
        if not getattr(view_func, "login_required", True):
            return
        match = request.resolver_match
        if match is not None and (
            "admin" in match.namespaces or match.url_name in UNGUARDED_ROUTES
        ):
            return
        if request.user.is_authenticated and not request.user.has_perm(READ_PERMISSION):
            raise PermissionDenied("Reading findings needs the viewer or operator role.")


class NoStoreMiddleware:
    """What a signed-in user is shown (findings pages, partials, exports) is kept by no browser
    or proxy cache: a shared machine's back button or disk cache does not replay it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            add_never_cache_headers(response)
            patch_cache_control(response, no_store=True)
        return response
