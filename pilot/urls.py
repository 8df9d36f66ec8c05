from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from core import apis as core_apis
from core import views as core_views
from providers.apis import ProviderViewSet
from recipients.apis import ChildViewSet, EnrollmentViewSet
from reports.apis import ReportVersionViewSet, ReportViewSet
from services.apis import VisitViewSet

router = DefaultRouter()
router.register("providers", ProviderViewSet, basename="provider")
router.register("children", ChildViewSet, basename="child")
router.register("enrollments", EnrollmentViewSet, basename="enrollment")
router.register("visits", VisitViewSet, basename="visit")
router.register("reports", ReportViewSet, basename="report")
router.register("report-versions", ReportVersionViewSet, basename="report-version")

urlpatterns = [
    path("", core_views.home, name="home"),
    path("health/", core_views.health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("admin/", admin.site.urls),
    path("api/auth/login/", core_apis.LoginView.as_view(), name="api_login"),
    path("api/auth/logout/", core_apis.LogoutView.as_view(), name="api_logout"),
    path("api/auth/logout-all/", core_apis.LogoutAllView.as_view(), name="api_logout_all"),
    path("api/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The browsable docs send a visitor who is not signed in to the login page.
    path(
        "api/docs/",
        login_required(SpectacularSwaggerView.as_view(url_name="schema")),
        name="api_docs",
    ),
    path("", include("providers.urls")),
    path("", include("recipients.urls")),
    path("", include("services.urls")),
    path("", include("tariffs.urls")),
    path("", include("reports.urls")),
]
