from django import forms
from django.core.exceptions import ValidationError


def add_service_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field if the form has it."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
