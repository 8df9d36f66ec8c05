"""The admin's import button: a preview before anything is written, then the confirmed import."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from recipients.models import Child
from tests.factories import officer

pytestmark = pytest.mark.django_db

HEADER = (
    "iin,last_name,first_name,middle_name,birth_date,sex,district,address,"
    "representative_iin,representative_name,representative_phone,representative_relation\n"
)
GOOD = "220615674240,Жуманов,Мадина,,2022-06-15,F,nura,г. Астана,860508473537,Абенова Аружан,+7 701 624 7850,parent\n"
BAD_IIN = "220615674241,Жуманов,Мадина,,2022-06-15,F,nura,г. Астана,860508473537,Абенова Аружан,+7 701,parent\n"


def format_index(page) -> str:
    choices = dict((label, value) for value, label in page.context["form"].fields["format"].choices)
    return choices["csv"]


def upload(client, content: str):
    url = reverse("admin:recipients_child_import")
    page = client.get(url)
    return client.post(
        url,
        {
            "resource": "0",
            "format": format_index(page),
            "import_file": SimpleUploadedFile("children.csv", (HEADER + content).encode()),
        },
    )


def test_preview_writes_nothing_and_confirm_imports(client):
    client.force_login(officer())
    preview = upload(client, GOOD)
    assert preview.status_code == 200
    assert "Жуманов" in preview.content.decode()
    assert not Child.objects.exists()

    confirm_form = preview.context["confirm_form"]
    response = client.post(
        reverse("admin:recipients_child_process_import"),
        {
            name: field.value()
            for name, field in ((n, confirm_form[n]) for n in confirm_form.fields)
        },
    )
    assert response.status_code == 302
    assert Child.objects.get().iin == "220615674240"


def test_a_bad_row_is_shown_in_the_preview_and_nothing_is_written(client):
    client.force_login(officer())
    preview = upload(client, GOOD.replace("220615674240", "230101000009") + BAD_IIN)
    text = preview.content.decode()
    assert preview.status_code == 200
    assert "check digit" in text
    assert "confirm_form" not in preview.context or preview.context["confirm_form"] is None
    assert not Child.objects.exists()
