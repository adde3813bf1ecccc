"""Forms of the portal. They parse input; the services decide."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from accessportal.network import client_address
from directory.emails import canonical_email
from directory.models import Group, Tenant
from portal.decisions import MAX_REASON_LENGTH, REASON_TOO_LONG
from portal.lockout import lockout_refusal, record_failed_sign_in
from portal.models import MAX_JUSTIFICATION_LENGTH
from portal.services import MAX_MESSAGE_LENGTH


def _email_address_field() -> forms.EmailField:
    return forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
        error_messages={"required": "Enter your email address.", "invalid": "Enter a valid email address."},
    )


class SignInEmailForm(forms.Form):
    """Step one of signing in: the email address, then **Next**."""

    username = _email_address_field()

    def __init__(self, request: HttpRequest | None = None, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)

    def clean_username(self) -> str:
        return canonical_email(self.cleaned_data["username"])


class LockoutMixin:
    """A password form that refuses before checking the password when the account or address is locked out."""

    def clean(self) -> dict[str, object]:
        email = canonical_email(self.cleaned_data.get("username") or "")
        address = client_address(self.request)
        if email and (refusal := lockout_refusal(email=email, client_address=address)):
            raise ValidationError(refusal, code="locked")
        try:
            return super().clean()
        except ValidationError as error:
            if error.code == "invalid_login":
                record_failed_sign_in(email=email, client_address=address)
            raise


class AdminSignInForm(LockoutMixin, AdminAuthenticationForm):
    """The admin center's sign-in, under the same lockout as the portal's."""


class SignInForm(LockoutMixin, AuthenticationForm):
    """Step two: the password."""

    username = _email_address_field()

    error_messages = {
        "invalid_login": "That email address and password don't match an account. Check both and try again.",
        "inactive": "This account is disabled. Ask your administrator to enable it.",
    }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"].widget.attrs["autofocus"] = True

    def clean_username(self) -> str:
        return canonical_email(self.cleaned_data["username"])


class AppRequestForm(forms.Form):
    justification = forms.CharField(
        label="Business justification",
        required=False,
        max_length=MAX_JUSTIFICATION_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_JUSTIFICATION_LENGTH}),
        help_text="Optional. Tell the approvers why you need this app (up to 1,000 characters).",
    )


class OrganizationForm(forms.Form):
    tenant_id = forms.UUIDField()


class AddMembersForm(forms.Form):
    """The welcome message; the picked people come as repeated `user` (ids) and `email` fields."""

    message = forms.CharField(
        label="Welcome message (optional)",
        required=False,
        max_length=MAX_MESSAGE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_MESSAGE_LENGTH}),
        error_messages={"max_length": "The welcome message can be at most 1,000 characters."},
    )


class JoinRequestForm(forms.Form):
    justification = forms.CharField(
        label="Business justification",
        max_length=MAX_JUSTIFICATION_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_JUSTIFICATION_LENGTH}),
        error_messages={
            "required": "Enter a business justification so the owners know why you need to join.",
            "max_length": "The business justification can be at most 1,000 characters.",
        },
    )


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional)",
        required=False,
        max_length=MAX_REASON_LENGTH,
        widget=forms.TextInput(attrs={"maxlength": MAX_REASON_LENGTH}),
        error_messages={"max_length": REASON_TOO_LONG},
        help_text="The requester sees it in the email about your decision.",
    )


class GroupDetailsForm(forms.Form):
    display_name = forms.CharField(
        label="Group name", max_length=256, error_messages={"required": "Enter a group name."}
    )
    description = forms.CharField(
        label="Group description", required=False, max_length=1024, widget=forms.Textarea(attrs={"rows": 3})
    )
    join_policy = forms.ChoiceField(label="Who can join", choices=Group.JoinPolicy.choices)


class NewGroupForm(GroupDetailsForm):
    group_type = forms.ChoiceField(label="Group type", choices=Group.GroupType.choices)
    field_order = ["group_type", "display_name", "description", "join_policy"]

    def __init__(self, *args: object, tenant: Tenant, is_admin: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        allowed = {
            Group.GroupType.SECURITY: is_admin or tenant.users_can_create_security_groups,
            Group.GroupType.MICROSOFT_365: is_admin or tenant.users_can_create_m365_groups,
        }
        self.fields["group_type"].choices = [
            (value, label) for value, label in Group.GroupType.choices if allowed[value]
        ]
        self.fields["join_policy"].initial = Group.JoinPolicy.OPEN
