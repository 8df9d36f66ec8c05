"""Forms of the coordinator's and head's pages: they parse input, the services decide."""

from __future__ import annotations

import datetime
import uuid
from typing import Any, cast

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.choices import Setting
from core.forms import DateInput
from providers.models import StaffMember
from recipients.models import Child, EnrollmentStatus, ServiceKind
from services.models import WEEKDAY_CHOICES, CatalogueService, ConfirmationMethod, VisitStatus


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", **kwargs)


def service_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Catalogue services grouped under their kind; the kind itself may be ticked too."""
    by_kind: dict[str, list[tuple[str, str]]] = {}
    for service in CatalogueService.objects.filter(is_active=True).order_by("order", "code"):
        by_kind.setdefault(service.kind, []).append((service.code, service.name))
    return [
        (
            str(label),
            [*by_kind.get(kind, []), (kind, str(_("Other services of this kind")))],
        )
        for kind, label in ServiceKind.choices
    ]


def staff_of(provider_id: int, day: datetime.date | None = None) -> QuerySet[StaffMember]:
    staff = StaffMember.objects.filter(provider_id=provider_id)
    if day is not None:
        staff = staff.filter(Q(left_on__isnull=True) | Q(left_on__gte=day))
    return staff.order_by("full_name")


class ServicesWidget(forms.CheckboxSelectMultiple):
    """One folding group per kind of service, open where something is ticked (short on a phone)."""

    template_name = "services/widgets/services.html"

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["groups"] = [
            {
                "label": label,
                "options": options,
                "selected": sum(1 for option in options if option["selected"]),
            }
            for label, options, _index in context["widget"]["optgroups"]
        ]
        return context


class ServicesField(forms.MultipleChoiceField):
    widget = ServicesWidget

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Services given"))
        kwargs.setdefault("required", False)
        super().__init__(choices=service_choices, **kwargs)


class VisitTimesForm(forms.Form):
    start = forms.TimeField(label=pgettext_lazy("time of a visit", "From"), widget=TimeInput())
    end = forms.TimeField(label=pgettext_lazy("time of a visit", "To"), widget=TimeInput())
    staff = forms.ModelChoiceField(
        label=_("Staff member"), queryset=StaffMember.objects.none(), required=False
    )
    services = ServicesField()

    def __init__(self, *args: Any, provider_id: int, day: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["staff"]).queryset = staff_of(provider_id, day)


class DoneForm(VisitTimesForm):
    def clean_services(self) -> list[str]:
        services: list[str] = self.cleaned_data["services"]
        if not services:
            raise forms.ValidationError(_("Tick the services given."), code="services_required")
        return services


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=500
    )


class ConfirmForm(forms.Form):
    method = forms.ChoiceField(
        label=_("How the representative confirms"),
        widget=forms.RadioSelect,
        choices=[
            (ConfirmationMethod.SIGNATURE, _("Signature on this screen")),
            (ConfirmationMethod.PIN, _("Representative's PIN")),
            (ConfirmationMethod.PAPER, _("Scan of the signed paper journal")),
        ],
        initial=ConfirmationMethod.SIGNATURE,
    )
    signature = forms.CharField(widget=forms.HiddenInput, required=False)
    pin = forms.CharField(
        label=_("PIN"),
        required=False,
        max_length=8,
        widget=forms.PasswordInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]*"}
        ),
    )
    scan = forms.FileField(
        label=_("Scan (PDF, PNG or JPEG)"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.png,.jpg,.jpeg", "capture": "environment"}
        ),
    )


class ChildChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.full_name)


class NewVisitForm(VisitTimesForm):
    """An unplanned visit. `client_id` is fixed when the form is shown: a resubmit finds its visit."""

    client_id = forms.CharField(widget=forms.HiddenInput, max_length=40)
    child = ChildChoiceField(label=_("Child"), queryset=Child.objects.none())
    setting = forms.ChoiceField(
        label=_("Setting"), choices=Setting.choices, widget=forms.RadioSelect
    )
    date = forms.DateField(label=_("Date"), widget=DateInput())
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[(VisitStatus.DONE, _("Done")), (VisitStatus.PLANNED, _("Planned"))],
        initial=VisitStatus.DONE,
        widget=forms.RadioSelect,
    )

    field_order = [
        "client_id",
        "child",
        "setting",
        "date",
        "start",
        "end",
        "status",
        "staff",
        "services",
    ]

    def __init__(self, *args: Any, provider_id: int, day: datetime.date, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("client_id", f"U{uuid.uuid4().hex}")
        kwargs["initial"].setdefault("date", day)
        super().__init__(*args, provider_id=provider_id, day=day, **kwargs)
        child_field = cast(forms.ModelChoiceField, self.fields["child"])
        child_field.queryset = (
            Child.objects.filter(
                enrollments__provider_id=provider_id,
                enrollments__status=EnrollmentStatus.APPROVED,
                enrollments__start_on__lte=day,
            )
            .filter(Q(enrollments__end_on__isnull=True) | Q(enrollments__end_on__gte=day))
            .distinct()
            .order_by("last_name", "first_name")
        )


class CorrectForm(VisitTimesForm):
    setting = forms.ChoiceField(label=_("Setting"), choices=Setting.choices)
    status = forms.ChoiceField(label=_("Status"), choices=VisitStatus.choices)
    missed_reason = forms.CharField(
        label=_("Reason it was missed or cancelled"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reason = forms.CharField(
        label=_("Reason for the correction"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Recorded with the correction in the audit trail."),
    )

    field_order = [
        "setting",
        "status",
        "start",
        "end",
        "staff",
        "services",
        "missed_reason",
        "reason",
    ]


class PinForm(forms.Form):
    pin = forms.CharField(
        label=_("PIN chosen by the representative"),
        min_length=4,
        max_length=8,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "new-password"}),
        help_text=_("4 to 8 digits. It is stored hashed and never shown again."),
    )
    pin_again = forms.CharField(
        label=_("PIN again"),
        max_length=8,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("pin") and data.get("pin") != data.get("pin_again"):
            self.add_error(
                "pin_again", forms.ValidationError(_("The PINs differ."), code="pin_mismatch")
            )
        return data


class ScheduleForm(forms.Form):
    valid_from = forms.DateField(label=_("Applies from"), widget=DateInput())
    centre_reason = forms.CharField(
        label=_("Reason for fewer than three centre visits a week"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only when the child's needs call for it (Alg. §2)."),
    )


class SlotForm(forms.Form):
    weekday = forms.TypedChoiceField(label=_("Weekday"), coerce=int, choices=WEEKDAY_CHOICES)
    setting = forms.ChoiceField(label=_("Setting"), choices=Setting.choices)
    start = forms.TimeField(label=_("Start"), widget=TimeInput())
    duration_minutes = forms.IntegerField(
        label=_("Minutes"),
        min_value=15,
        max_value=24 * 60,
        widget=forms.NumberInput(attrs={"step": 15}),
    )
    staff = forms.ModelChoiceField(
        label=_("Staff member"), queryset=StaffMember.objects.none(), required=False
    )

    def __init__(self, *args: Any, provider_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["staff"]).queryset = staff_of(
            provider_id, timezone.localdate()
        )


SlotFormSet = forms.formset_factory(
    SlotForm, extra=2, can_delete=True, max_num=21, validate_max=True
)
