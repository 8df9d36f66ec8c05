from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.report_list, name="list"),
    path("reports/versions/<int:pk>/<str:kind>/", views.version_file, name="version_file"),
    path("reports/dashboard/", views.dashboard, name="dashboard"),
    path("reports/dashboard/<slug:name>.svg", views.dashboard_chart, name="chart"),
    path("survey/<str:token>/", views.survey, name="survey"),
]
