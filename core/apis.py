"""Signing in and out of the API: expiring, revocable tokens (see `core.tokens`)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, user_logged_in, user_logged_out
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.auth import TokenAuthentication
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import tokens
from core.errors import fail


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text=_("Send it as `Authorization: Token <token>`. It is shown only this once.")
    )
    expiry = serializers.DateTimeField(
        help_text=_(
            "When it expires unless used: each use moves this 30 minutes on, up to 8 hours"
            " after sign-in."
        )
    )


@extend_schema(tags=["auth"])
class LoginView(APIView):
    """Username and password in, a token out. Failed attempts count towards the same lockout
    as the sign-in page (django-axes: five failures lock the username from that address)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Sign in: get an API token",
        request=LoginSerializer,
        responses={200: TokenSerializer},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if user is None:
            raise fail(_("The username or password is wrong."), "invalid_login")
        token, key = tokens.token_issue(user=user, acting_user=user)
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        return Response(TokenSerializer({"token": key, "expiry": token.expiry}).data)


@extend_schema(tags=["auth"])
class LogoutView(APIView):
    """Revoke the token this request is sent with."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Sign out: revoke this token",
        request=None,
        responses={204: OpenApiResponse(description="Revoked.")},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        tokens.token_revoke(token=request.auth, acting_user=request.user)
        user_logged_out.send(
            sender=request.user.__class__, request=request._request, user=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["auth"])
class LogoutAllView(APIView):
    """Revoke every token of the caller (a lost tablet: sign out everywhere)."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Sign out everywhere: revoke all of the caller's tokens",
        request=None,
        responses={204: OpenApiResponse(description="Revoked.")},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        tokens.tokens_revoke_all(user=request.user, acting_user=request.user)
        user_logged_out.send(
            sender=request.user.__class__, request=request._request, user=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
