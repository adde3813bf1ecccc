"""Admin forms for inviting guests, one at a time or from a CSV file."""

from django import forms

from directory.models import Group, Tenant
from invitations.bulk import MAX_FILE_BYTES
from invitations.services import MAX_DISPLAY_NAME_LENGTH, MAX_EMAIL_LENGTH, MAX_REDIRECT_URL_LENGTH

MESSAGE_LANGUAGES = [
    ("en-US", "English (United States)"),
    ("en-GB", "English (United Kingdom)"),
    ("de-DE", "German"),
    ("es-ES", "Spanish"),
    ("fr-FR", "French"),
    ("it-IT", "Italian"),
    ("ja-JP", "Japanese"),
    ("nl-NL", "Dutch"),
    ("pt-BR", "Portuguese (Brazil)"),
    ("zh-CN", "Chinese (Simplified)"),
]
GROUP_OF_OTHER_TENANT = "This group belongs to another organization."
FILE_TOO_LARGE = "The file can be at most 1 MB. Split it into several files."


class _TenantAndGroupForm(forms.Form):
    tenant = forms.ModelChoiceField(queryset=Tenant.objects.all(), label="Organization")
    group = forms.ModelChoiceField(
        queryset=Group.objects.select_related("tenant").order_by("tenant__display_name", "display_name"),
        required=False,
        label="Add to group",
        help_text="Optional. Guests can be added only to assigned groups that aren't synced from on-premises.",
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        tenant, group = cleaned.get("tenant"), cleaned.get("group")
        if tenant and group and group.tenant_id != tenant.pk:
            self.add_error("group", GROUP_OF_OTHER_TENANT)
        return cleaned


class InviteGuestForm(_TenantAndGroupForm):
    """**Invite external user**, as in the Azure portal's New user blade."""

    field_order = ["tenant", "email", "display_name", "redirect_url", "send_invitation_message", "message"]

    email = forms.CharField(label="Email address", max_length=MAX_EMAIL_LENGTH, strip=True)
    display_name = forms.CharField(label="Display name", max_length=MAX_DISPLAY_NAME_LENGTH, required=False)
    redirect_url = forms.CharField(
        label="Redirect URL",
        max_length=MAX_REDIRECT_URL_LENGTH,
        required=False,
        help_text="Where the guest lands after accepting. Empty: My Apps of the organization.",
    )
    send_invitation_message = forms.BooleanField(label="Send invite message", required=False, initial=True)
    # No max_length here: browsers send line breaks as two characters; the service counts what the guest reads.
    message = forms.CharField(
        label="Message",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Plain text, at most 1,000 characters.",
    )
    message_language = forms.ChoiceField(label="Message language", choices=MESSAGE_LANGUAGES, initial="en-US")


class BulkInviteUploadForm(_TenantAndGroupForm):
    csv_file = forms.FileField(
        label="Upload your CSV file",
        help_text="Columns: email address, display name, redirect URL, send invitation message (yes/no), message.",
    )

    def clean_csv_file(self):
        upload = self.cleaned_data["csv_file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(FILE_TOO_LARGE)
        return upload


class BulkInviteConfirmForm(_TenantAndGroupForm):
    """The dry run's file, sent back to run it for real; every row is checked again."""

    # A hidden textarea, not an <input>: browsers keep the line breaks of a textarea.
    csv_text = forms.CharField(widget=forms.Textarea(attrs={"hidden": True}), max_length=MAX_FILE_BYTES, strip=False)
