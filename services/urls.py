from django.urls import path

from services import journal, views

app_name = "services"

urlpatterns = [
    path("visits/", views.day, name="day"),
    path("visits/new/", views.visit_new, name="visit_new"),
    path("visits/<int:pk>/", views.visit, name="visit"),
    path("visits/<int:pk>/done/", views.visit_done, name="visit_done"),
    path("visits/<int:pk>/missed/", views.visit_missed, name="visit_missed"),
    path("visits/<int:pk>/cancel/", views.visit_cancel, name="visit_cancel"),
    path("visits/<int:pk>/confirm/", views.visit_confirm, name="visit_confirm"),
    path("visits/<int:pk>/correct/", views.visit_correct, name="visit_correct"),
    path("visits/<int:pk>/signature/", views.visit_signature, name="visit_signature"),
    path("visits/<int:pk>/scan/", views.visit_scan, name="visit_scan"),
    path("children/<int:pk>/schedule/", views.schedules, name="schedules"),
    path("children/<int:pk>/schedule/new/", views.schedule_new, name="schedule_new"),
    path("schedules/<int:pk>/", views.schedule_edit, name="schedule_edit"),
    path("schedules/<int:pk>/approve/", views.schedule_approve, name="schedule_approve"),
    path("enrollments/<int:pk>/pin/", views.set_pin, name="set_pin"),
    path("journal/", journal.provider_journal, name="journal"),
    path("journal/pdf/", journal.provider_journal_pdf, name="journal_pdf"),
    path("journal/exports/<int:pk>/", journal.journal_export, name="journal_export"),
    path("journal/exports/<int:pk>/file/", journal.journal_export_file, name="journal_export_file"),
    path("children/<int:pk>/journal/", journal.child_journal, name="child_journal"),
    path("children/<int:pk>/journal/pdf/", journal.child_journal_pdf, name="child_journal_pdf"),
]
