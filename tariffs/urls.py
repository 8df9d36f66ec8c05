from django.urls import path

from tariffs import views

app_name = "tariffs"

urlpatterns = [
    path("invoices/", views.invoices, name="invoices"),
    path("invoices/<int:pk>/", views.invoice, name="invoice"),
]
