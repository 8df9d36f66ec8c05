from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DateInput
from providers.models import (
    DocumentKind,
    Position,
    Premises,
    Provider,
    RoomKind,
    StaffDocumentKind,
    Tenure,
)
from providers.uploads import ACCEPT_ATTRIBUTE


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


class PremisesForm(forms.Form):
    address = forms.CharField(label=_("Address"), max_length=500)
    tenure = forms.ChoiceField(label=_("Owned or leased"), choices=Tenure.choices)
    cadastre_record = forms.CharField(
        label=_("Cadastre registration record"), max_length=100, required=False
    )
    lease_ends_on = forms.DateField(
        label=_("Lease ends on"),
        required=False,
        widget=DateInput(),
        help_text=_("Required for leased premises."),
    )
    is_new_building = forms.BooleanField(
        label=_("Newly commissioned building"),
        required=False,
        help_text=_(
            "A new building shows the commissioning documents instead of an inspection act."
        ),
    )


class StaffMemberForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    position = forms.ChoiceField(label=_("Position"), choices=Position.choices)
    fte = forms.DecimalField(
        label=_("FTE"),
        min_value=Decimal("0.05"),
        max_value=Decimal("2.00"),
        decimal_places=2,
        initial=Decimal("1.00"),
    )
    education = forms.CharField(label=_("Education"), max_length=300, required=False)
    hired_on = forms.DateField(label=_("Hired on"), required=False, widget=DateInput())


class StaffDocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of document"), choices=StaffDocumentKind.choices)
    number = forms.CharField(label=_("Document number"), max_length=100, required=False)
    issued_on = forms.DateField(label=_("Issued on"), widget=DateInput())
    valid_until = forms.DateField(label=_("Valid until"), required=False, widget=DateInput())
    file = forms.FileField(
        label=_("File (PDF, PNG or JPEG)"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )


class StaffLeaveForm(forms.Form):
    left_on = forms.DateField(label=_("Left on"), widget=DateInput())
