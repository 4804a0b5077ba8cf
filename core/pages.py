"""Small rendering helpers shared by the dashboard's views (pages, live fragments, 422s)."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

# The live-refresh script asks for a page's fragment by adding this query parameter.
FRAGMENT_PARAM = "fragment"


def render_page(
    request: HttpRequest, template: str, context: dict, fragment: str | None = None
) -> HttpResponse:
    """Render the whole page, or only its live fragment when the refresh script asks for it."""
    if fragment and FRAGMENT_PARAM in request.GET:
        return render(request, fragment, context)
    return render(request, template, context)


def render_invalid(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """A form that did not validate is shown again with its errors, as 422 (not a 200)."""
    return render(request, template, context, status=422)


def paginate(request: HttpRequest, queryset, per_page: int = 50) -> Page:
    # get_page clamps bad/out-of-range page numbers instead of raising: links never 404.
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def safe_next(request: HttpRequest) -> str | None:
    """The ``next`` the form sent (or the query has), when it is a path on this site; else None.

    Only a path starting with one ``/``: never another site (``//host``, ``https://…``), a
    script (``javascript:``) or anything a browser might read as one (backslashes, spaces)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, allowed_hosts=None, require_https=request.is_secure()
    ):
        return None
    return target


def redirect_back(request: HttpRequest, fallback: str, **kwargs) -> HttpResponseRedirect:
    """After a POST: back to ``next`` when it is safe (see :func:`safe_next`), else to the URL
    named ``fallback`` (reversed with ``kwargs``)."""
    target = safe_next(request)
    return HttpResponseRedirect(target) if target else redirect(fallback, **kwargs)
