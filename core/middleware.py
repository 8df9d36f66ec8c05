"""Responses the portal builds are never kept by a browser or a proxy.

Pages and API answers carry children's names, IINs and diagnoses, and centres share tablets:
a page kept in the browser's cache can be opened from its history by the next user after a
logout. Every response a view builds is therefore marked `no-store` (with `private` and `no-cache`) unless the view
set its own `Cache-Control`. Static files are served by WhiteNoise before this runs and keep
their long cache lifetimes; the offline copies of the coordinator's pages live in the service
worker's own cache, which this header does not govern.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            # max-age=0, no-cache, no-store, must-revalidate, private (and an Expires now)
            add_never_cache_headers(response)
        return response
