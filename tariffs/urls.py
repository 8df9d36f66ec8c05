from django.urls import path

from tariffs import views

app_name = "tariffs"

urlpatterns = [
    path("invoices/", views.invoices, name="invoices"),
    path("invoices/<int:pk>/", views.invoice, name="invoice"),
    path("invoices/<int:pk>/act.pdf", views.invoice_act, name="invoice_act"),
    path("invoices/<int:pk>/lines.xlsx", views.invoice_xlsx, name="invoice_xlsx"),
]
