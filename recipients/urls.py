from django.urls import path

from recipients import views

app_name = "recipients"

urlpatterns = [
    path("children/", views.children, name="children"),
    path("children/<int:pk>/", views.child_card, name="child"),
]
