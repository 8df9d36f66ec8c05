"""The journal of services rendered (Alg. §19) — being written; see services/urls.py for routes."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def provider_journal(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def provider_journal_pdf(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def child_journal(request: HttpRequest, pk: int) -> HttpResponse:
    raise NotImplementedError


def child_journal_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    raise NotImplementedError
