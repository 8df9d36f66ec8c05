from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from providers.models import DocumentKind, Premises, Provider, RoomKind
from providers.uploads import ACCEPT_ATTRIBUTE


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class DocumentUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of document"), choices=DocumentKind.choices)
    premises = forms.ModelChoiceField(
        label=_("Premises"),
        queryset=Premises.objects.none(),
        required=False,
        help_text=_("For documents about a building: ownership, lease, sanitary, fire safety."),
    )
    number = forms.CharField(label=_("Document number"), max_length=100, required=False)
    issued_on = forms.DateField(label=_("Issued on"), widget=DateInput())
    valid_until = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty if the document has no end date."),
    )
    file = forms.FileField(
        label=_("File (PDF, PNG or JPEG)"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )

    def __init__(self, *args: Any, provider: Provider, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        premises_field = self.fields["premises"]
        assert isinstance(premises_field, forms.ModelChoiceField)
        premises_field.queryset = Premises.objects.filter(provider=provider)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        issued_on, valid_until = data.get("issued_on"), data.get("valid_until")
        if issued_on and valid_until and valid_until < issued_on:
            self.add_error("valid_until", _("A document cannot end before it was issued."))
        return data


class RoomForm(forms.Form):
    kind = forms.ChoiceField(choices=RoomKind.choices, widget=forms.HiddenInput)
    equipped = forms.BooleanField(label=_("Equipped"), required=False)
    inventory = forms.CharField(
        label=_("Main equipment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


RoomFormSet = forms.formset_factory(RoomForm, extra=0)
