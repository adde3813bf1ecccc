"""Forms of the admin center: the Azure portal's labels, and the checks a person must see on the form.

The services stay the authority: these checks only move a refusal next to the field it
concerns, before a model constraint turns it into a generic message.
"""

import io

from django import forms
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
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
    LAST_OWNER,
    OTHER_TENANT,
    RULE_ONLY_FOR_DYNAMIC,
    SELF_SERVICE_GROUP_REQUIRED,
    TOO_MANY_APPROVERS,
    PolicyError,
    check_accepts_member,
    normalize_domain_list,
)

MAX_LOGO_BYTES = 256 * 1024
ACCOUNT_EMAIL_IN_USE = "A sign-in account with this email address already exists."
LOGO_NOT_PNG = "Upload the logo as a PNG image."
LOGO_NOT_SQUARE = "The logo must be square; this image is {width} × {height} pixels."
LOGO_TOO_LARGE = "The logo can be at most 256 KB."
PRINCIPAL_REQUIRED = "Choose a user or a group."
ONE_PRINCIPAL_ONLY = "Choose a user or a group, not both."


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
        if Account.objects.filter(email__iexact=email).exists():
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
        if Account.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
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


def _live_forms(formset: BaseInlineFormSet) -> list[forms.ModelForm]:
    """Rows that will exist after the save: kept existing rows and filled-in new ones."""
    deleted = {id(form) for form in formset.deleted_forms}
    existing = {id(form) for form in formset.initial_forms}
    return [form for form in formset.forms if id(form) not in deleted and (id(form) in existing or form.has_changed())]


class GroupOwnerFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        group = self.instance
        if group.tenant_id is None:
            return
        for form in _live_forms(self):
            user = form.cleaned_data.get("user")
            if form.has_changed() and user is not None and user.tenant_id != group.tenant_id:
                form.add_error("user", OTHER_TENANT.format(name=user.display_name))
        existing = {id(form) for form in self.initial_forms}
        removed = [form.instance.user for form in self.deleted_forms if id(form) in existing]
        remaining = [form for form in _live_forms(self) if form.cleaned_data.get("user") is not None]
        if removed and not remaining:
            raise ValidationError(LAST_OWNER.format(group=group, name=removed[-1].display_name))


class GroupMemberFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        group = self.instance
        if group.tenant_id is None:
            return
        for form in _live_forms(self):
            user = form.cleaned_data.get("user")
            if not form.has_changed() or user is None:
                continue
            try:
                check_accepts_member(group=group, user=user)
            except PolicyError as error:
                form.add_error("user", error)


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


class AppRoleAssignmentForm(forms.ModelForm):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Left empty, the assignment gets the application's "Default Access" role.
        self.fields["app_role"].required = False

    def clean(self) -> dict[str, object]:
        cleaned_data = super().clean()
        user, group = cleaned_data.get("principal_user"), cleaned_data.get("principal_group")
        if user and group:
            self.add_error("principal_group", ONE_PRINCIPAL_ONLY)
        elif not user and not group and "principal_user" not in self.errors:
            self.add_error("principal_user", PRINCIPAL_REQUIRED)
        return cleaned_data


class AppRoleAssignmentFormSet(BaseInlineFormSet):
    def add_fields(self, form: forms.ModelForm, index: int | None) -> None:
        super().add_fields(form, index)
        form.fields["app_role"].queryset = AppRole.objects.filter(application_id=self.instance.pk)

    def clean(self) -> None:
        super().clean()
        tenant_id = self.instance.tenant_id
        for form in _live_forms(self):
            if not form.has_changed():
                continue
            for name in ("principal_user", "principal_group"):
                principal = form.cleaned_data.get(name)
                if principal is not None and principal.tenant_id != tenant_id:
                    form.add_error(name, OTHER_TENANT.format(name=principal.display_name))
