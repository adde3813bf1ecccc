"""Forms of the admin center: the Azure portal's labels, and the checks a person must see on the form.

The services stay the authority: these checks only move a refusal next to the field it
concerns, before a model constraint turns it into a generic message.
"""

import io

from django import forms
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from PIL import Image

from directory.emails import canonical_email
from directory.models import (
    MAX_SELF_SERVICE_APPROVERS,
    Account,
    Application,
    AppRole,
    DirectoryUser,
    Group,
    Tenant,
)
from directory.services import (
    APPROVERS_REQUIRED,
    DOMAIN_LIST_NOT_ALLOWED,
    DOMAIN_LIST_REQUIRED,
    DYNAMIC_RULE_REQUIRED,
    RULE_ONLY_FOR_DYNAMIC,
    SELF_SERVICE_GROUP_REQUIRED,
    TOO_MANY_APPROVERS,
    normalize_domain_list,
)

MAX_LOGO_BYTES = 256 * 1024
ACCOUNT_EMAIL_IN_USE = "A sign-in account with this email address already exists."
LOGO_NOT_PNG = "Upload the logo as a PNG image."
LOGO_NOT_SQUARE = "The logo must be square; this image is {width} × {height} pixels."
LOGO_TOO_LARGE = "The logo can be at most 256 KB."


def _yes_no(value: object) -> bool:
    return value in {True, "True"}


class YesNoField(forms.TypedChoiceField):
    """A Yes/No radio pair, as the Azure portal shows its switches."""

    widget = forms.RadioSelect

    def __init__(self, **kwargs: object) -> None:
        kwargs.update(required=True, choices=[(True, "Yes"), (False, "No")], coerce=_yes_no)
        super().__init__(**kwargs)


# Sign-in accounts ------------------------------------------------------------


class AccountCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = Account
        fields = ("email", "display_name")
        field_classes = {}

    def clean_email(self) -> str:
        email = canonical_email(self.cleaned_data["email"])
        if Account.objects.filter(email=email).exists():
            raise ValidationError(ACCOUNT_EMAIL_IN_USE)
        return email


class AccountChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = Account
        fields = (
            "email",
            "password",
            "display_name",
            "is_active",
            "is_staff",
            "is_superuser",
            "user_permissions",
            "last_login",
            "date_joined",
        )
        field_classes = {}

    def clean_email(self) -> str:
        email = canonical_email(self.cleaned_data["email"])
        if Account.objects.filter(email=email).exclude(pk=self.instance.pk).exists():
            raise ValidationError(ACCOUNT_EMAIL_IN_USE)
        return email


# Organizations ---------------------------------------------------------------

TENANT_YES_NO_FIELDS = (
    "owners_can_manage_group_membership_requests",
    "restrict_access_panel_groups",
    "users_can_create_security_groups",
    "users_can_create_m365_groups",
    "email_otp_enabled",
)


class TenantForm(forms.ModelForm):
    class Meta:
        model = Tenant
        fields = (
            "display_name",
            "initial_domain",
            "verified_domains",
            "privacy_statement_url",
            "branding_color",
            *TENANT_YES_NO_FIELDS,
            "guest_user_role_id",
            "allow_invites_from",
            "collaboration_restriction",
            "collaboration_domains",
            "invitation_link_lifetime_days",
        )
        field_classes = dict.fromkeys(TENANT_YES_NO_FIELDS, YesNoField)
        widgets = {
            "verified_domains": forms.Textarea(attrs={"rows": 3}),
            "collaboration_domains": forms.Textarea(attrs={"rows": 6}),
            "branding_color": forms.TextInput(attrs={"type": "color"}),
        }

    def clean_verified_domains(self) -> str:
        return normalize_domain_list(self.cleaned_data["verified_domains"])

    def clean_collaboration_domains(self) -> str:
        return normalize_domain_list(self.cleaned_data["collaboration_domains"])

    def clean(self) -> dict[str, object]:
        cleaned_data = super().clean()
        mode = cleaned_data.get("collaboration_restriction")
        domains = cleaned_data.get("collaboration_domains")
        if mode is None or domains is None:
            return cleaned_data
        allow_any = mode == Tenant.CollaborationRestriction.ALLOW_ANY
        switched_with_old_list = (
            not self.instance._state.adding
            and mode != self.instance.collaboration_restriction
            and domains == self.instance.collaboration_domains
        )
        if allow_any and domains:
            if switched_with_old_list:
                # Azure discards the list when the mode switches; the database constraint
                # would refuse the stale list before the service could discard it.
                cleaned_data["collaboration_domains"] = ""
            else:
                self.add_error("collaboration_domains", DOMAIN_LIST_NOT_ALLOWED)
        elif not allow_any and not domains:
            self.add_error("collaboration_domains", DOMAIN_LIST_REQUIRED)
        return cleaned_data


# Groups ----------------------------------------------------------------------


class GroupForm(forms.ModelForm):
    class Meta:
        model = Group
        fields = (
            "tenant",
            "group_type",
            "display_name",
            "description",
            "membership_type",
            "membership_rule",
            "join_policy",
            "on_premises_sync_enabled",
        )
        widgets = {"membership_rule": forms.Textarea(attrs={"rows": 3})}

    def clean(self) -> dict[str, object]:
        cleaned_data = super().clean()
        membership_type = cleaned_data.get("membership_type")
        rule = (cleaned_data.get("membership_rule") or "").strip()
        if membership_type == Group.MembershipType.DYNAMIC_USER and not rule:
            self.add_error("membership_rule", DYNAMIC_RULE_REQUIRED)
        elif membership_type == Group.MembershipType.ASSIGNED and rule:
            self.add_error("membership_rule", RULE_ONLY_FOR_DYNAMIC)
        return cleaned_data


# Enterprise applications -----------------------------------------------------

APPLICATION_YES_NO_FIELDS = (
    "account_enabled",
    "app_role_assignment_required",
    "visible_to_users",
    "self_service_enabled",
    "self_service_approval_required",
)


class ApplicationForm(forms.ModelForm):
    logo_upload = forms.FileField(
        label="Logo",
        required=False,
        help_text="A square PNG image of at most 256 KB.",
        widget=forms.FileInput(attrs={"accept": "image/png"}),
    )
    remove_logo = forms.BooleanField(label="Remove the logo", required=False)

    class Meta:
        model = Application
        fields = (
            "tenant",
            "display_name",
            *APPLICATION_YES_NO_FIELDS,
            "homepage_url",
            "notes",
            "single_sign_on_mode",
            "sign_on_url",
            "self_service_group",
            "self_service_approvers",
            "self_service_role",
        )
        field_classes = dict.fromkeys(APPLICATION_YES_NO_FIELDS, YesNoField)
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if self.instance._state.adding:
            return
        # Only the application's own organization can be chosen, as in the portal's pickers.
        tenant_id = self.instance.tenant_id
        querysets = {
            "self_service_group": Group.objects.filter(tenant_id=tenant_id),
            "self_service_approvers": DirectoryUser.objects.filter(tenant_id=tenant_id),
            "self_service_role": AppRole.objects.filter(application=self.instance),
        }
        for name, queryset in querysets.items():
            if name in self.fields:
                self.fields[name].queryset = queryset

    def clean_logo_upload(self) -> bytes | None:
        upload = self.cleaned_data.get("logo_upload")
        if not upload:
            return None
        if upload.size > MAX_LOGO_BYTES:
            raise ValidationError(LOGO_TOO_LARGE)
        # The admin may validate the same upload twice (see ServiceModelAdmin), so rewind.
        upload.seek(0)
        data = upload.read()
        try:
            with Image.open(io.BytesIO(data)) as image:
                image_format, (width, height) = image.format, image.size
                image.verify()
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
            raise ValidationError(LOGO_NOT_PNG) from error
        if image_format != "PNG":
            raise ValidationError(LOGO_NOT_PNG)
        if width != height:
            raise ValidationError(LOGO_NOT_SQUARE.format(width=width, height=height))
        return data

    def clean_self_service_approvers(self) -> list[DirectoryUser]:
        approvers = list(self.cleaned_data["self_service_approvers"])
        if len(approvers) > MAX_SELF_SERVICE_APPROVERS:
            raise ValidationError(TOO_MANY_APPROVERS)
        return approvers

    def clean(self) -> dict[str, object]:
        cleaned_data = super().clean()
        if cleaned_data.get("self_service_enabled"):
            if "self_service_group" in self.fields and not cleaned_data.get("self_service_group"):
                self.add_error("self_service_group", SELF_SERVICE_GROUP_REQUIRED)
            if (
                cleaned_data.get("self_service_approval_required")
                and "self_service_approvers" in cleaned_data
                and not cleaned_data["self_service_approvers"]
            ):
                self.add_error("self_service_approvers", APPROVERS_REQUIRED)
        return cleaned_data
