from django.urls import path

from providers import views

app_name = "providers"

urlpatterns = [
    path("provider/", views.my_provider, name="my_provider"),
    path("provider/documents/upload/", views.upload_document, name="upload_document"),
    path("provider/rooms/", views.rooms, name="rooms"),
    path("provider/premises/", views.premises, name="premises"),
    path("provider/staff/", views.staff, name="staff"),
    path("provider/staff/<int:pk>/", views.staff_member, name="staff_member"),
    path("provider/application/new/", views.application_create, name="application_create"),
    path(
        "provider/application/<int:pk>/submit/",
        views.application_submit,
        name="application_submit",
    ),
    path(
        "provider/application/<int:pk>/request-inspection/",
        views.application_request_inspection,
        name="application_request_inspection",
    ),
    path("documents/<int:pk>/file/", views.document_file, name="document_file"),
    path(
        "documents/staff/<int:pk>/file/",
        views.staff_document_file,
        name="staff_document_file",
    ),
    path("participants/", views.participants, name="participants"),
]
