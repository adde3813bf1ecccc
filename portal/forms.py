from django import forms
from django.contrib.auth.forms import AuthenticationForm


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    error_messages = {
        "invalid_login": "That email address and password don't match an account. Check both and try again.",
        "inactive": "This account is disabled. Ask your administrator to enable it.",
    }


class AppRequestForm(forms.Form):
    justification = forms.CharField(
        label="Business justification",
        required=False,
        max_length=1_000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 1_000}),
        help_text="Optional. Tell the approvers why you need this app (up to 1,000 characters).",
    )


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=1_000,
        strip=True,
        widget=forms.TextInput(attrs={"maxlength": 1_000}),
        help_text="Optional. The requester sees it in the email about your decision.",
    )


class OrganizationForm(forms.Form):
    tenant_id = forms.UUIDField()
