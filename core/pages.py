"""Small rendering helpers shared by the dashboard's views (pages, live fragments, 422s)."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

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
