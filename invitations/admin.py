"""External Identities in the admin center: invitations, bulk invite, the outbox and blocked addresses.

Every write goes through invitations.services; a refusal becomes a message, never a server error.
"""

import uuid

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from admincenter.blades import Blade, BladeAdmin, Command, Crumb
from directory.models import DirectoryUser
from directory.services import PolicyError
from invitations.bulk import (
    BulkFileError,
    bulk_progress,
    decode_upload,
    parse_bulk_csv,
    result_rows,
    results_csv,
    resume_bulk_invite,
    start_bulk_invite,
    template_csv,
)
from invitations.forms import BulkInviteConfirmForm, BulkInviteUploadForm, InviteGuestForm
from invitations.models import BlockedAddress, BulkInviteJob, Invitation, OutboundEmail
from invitations.services import (
    block_future_invitations,
    check_group_takes_guests,
    check_inviter_allowed,
    invite_guest,
    resend_invitation,
    reset_redemption,
    revoke_invitation,
)
from invitations.tasks import retry_emails

INVITE_PERMISSION = "invitations.add_invitation"


def _report(modeladmin: admin.ModelAdmin, request: HttpRequest, done: int, verb: str, errors: list[str]) -> None:
    if done:
        modeladmin.message_user(request, f"{verb} {done}.", messages.SUCCESS)
    for error in errors:
        modeladmin.message_user(request, error, messages.ERROR)


def _reset_users(modeladmin: admin.ModelAdmin, request: HttpRequest, users: list[DirectoryUser]) -> None:
    done, errors = 0, []
    for user in users:
        try:
            reset_redemption(user=user, actor=request.user)
        except PolicyError as error:
            errors.append(f"{user.display_name}: {' '.join(error.messages)}")
        else:
            done += 1
    _report(modeladmin, request, done, "Invitation status reset and invitation sent for", errors)


@admin.action(description="Reset invitation status", permissions=["change"])
def reset_invitation_status(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    """On directory users: keeps object id, groups and apps; the next redemption may bind a new address."""
    _reset_users(modeladmin, request, list(queryset.select_related("tenant")))


def _user_list_commands(request: HttpRequest) -> list[Command]:
    if not request.user.has_perm(INVITE_PERMISSION):
        return []
    return [
        Command("Invite external user", reverse("admin:invitations_invitation_invite"), icon="mail"),
        Command("Bulk invite", reverse("admin:invitations_invitation_bulk"), icon="add"),
    ]


def _user_overview_commands(request: HttpRequest, user: DirectoryUser) -> list[Command]:
    """**Resend invitation** while it is pending; **Reset redemption status** for any invited guest."""
    if not user.is_guest or not request.user.has_perm(INVITE_PERMISSION):
        return []
    commands = []
    if user.external_user_state == DirectoryUser.ExternalUserState.PENDING_ACCEPTANCE:
        url = reverse("admin:invitations_invitation_resend_user", args=[user.pk])
        commands.append(Command("Resend invitation", url, icon="mail", post=True))
    url = reverse("admin:invitations_invitation_reset_user", args=[user.pk])
    commands.append(Command("Reset redemption status", url, icon="refresh", post=True))
    return commands


# The directory's user admin is registered before this module is imported (INSTALLED_APPS order);
# the action and commands join it here so the directory app keeps knowing nothing of invitations.
_user_admin = admin.site._registry.get(DirectoryUser)
if _user_admin is not None and reset_invitation_status not in (_user_admin.actions or []):
    _user_admin.actions = [*(_user_admin.actions or []), reset_invitation_status]
    _user_admin.list_commands_from.append(_user_list_commands)
    _user_admin.overview_commands_from.append(_user_overview_commands)


@admin.register(Invitation)
class InvitationAdmin(BladeAdmin):
    list_title = "External Identities | All invitations"
    list_display = (
        "invited_user_email_address",
        "tenant",
        "status",
        "inviter",
        "send_count",
        "created_date_time",
        "expires_date_time",
        "reset_redemption",
    )
    list_filter = ("tenant", "status", "reset_redemption", "send_invitation_message")
    list_select_related = ("tenant", "invited_by")
    search_fields = ("invited_user_email_address", "invited_user_display_name", "inviter_email", "inviter_name")
    date_hierarchy = "created_date_time"
    actions = ["resend_selected", "revoke_selected", "reset_selected"]
    fields = (
        "tenant",
        "invited_user",
        "invited_user_email_address",
        "invited_user_display_name",
        "status",
        "inviter_name",
        "inviter_email",
        "invited_by",
        "invite_redirect_url",
        "customized_message_body",
        "message_language",
        "send_invitation_message",
        "reset_redemption",
        "send_count",
        "created_date_time",
        "last_sent_date_time",
        "expires_date_time",
        "redeemed_date_time",
        "revoked_date_time",
    )
    readonly_fields = fields

    @admin.display(description="Invited by", ordering="inviter_name")
    def inviter(self, obj: Invitation) -> str:
        return obj.inviter_name

    def has_change_permission(self, request: HttpRequest, obj: Invitation | None = None) -> bool:
        # Invitations change only through the actions below.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Invitation | None = None) -> bool:
        return False

    def has_invite_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(INVITE_PERMISSION)

    @admin.action(description="Resend invitation", permissions=["invite"])
    def resend_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        done, errors = 0, []
        for invitation in queryset:
            try:
                result = resend_invitation(invitation=invitation, actor=request.user)
            except PolicyError as error:
                errors.append(f"{invitation.invited_user_email_address}: {' '.join(error.messages)}")
            else:
                done += 1
                if not result.email_sent:
                    errors.append(_not_emailed_message(result.user.mail, result.invite_redeem_url))
        _report(self, request, done, "Invitations sent again:", errors)

    @admin.action(description="Revoke invitation", permissions=["invite"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet) -> TemplateResponse | None:
        # A revoked link can't be brought back, so (like Delete) the action asks first.
        if request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "Revoke invitations",
                "invitations": list(queryset),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/invitations/revoke_confirmation.html", context)
        done, errors = 0, []
        for invitation in queryset:
            try:
                revoke_invitation(invitation=invitation, actor=request.user)
            except PolicyError as error:
                errors.append(f"{invitation.invited_user_email_address}: {' '.join(error.messages)}")
            else:
                done += 1
        _report(self, request, done, "Invitations revoked:", errors)

    @admin.action(description="Reset invitation status", permissions=["invite"])
    def reset_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        invitations = queryset.select_related("invited_user__tenant")
        users = {invitation.invited_user_id: invitation.invited_user for invitation in invitations}
        _reset_users(self, request, list(users.values()))

    # Pages of their own ------------------------------------------------------------------

    def list_commands(self, request: HttpRequest) -> list[Command]:
        return [*_user_list_commands(request), *super().list_commands(request)]

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("user/<uuid:user_id>/resend/", view(self.resend_user_view), name="invitations_invitation_resend_user"),
            path("user/<uuid:user_id>/reset/", view(self.reset_user_view), name="invitations_invitation_reset_user"),
            path("invite/", view(self.invite_view), name="invitations_invitation_invite"),
            path("bulk/", view(self.bulk_invite_view), name="invitations_invitation_bulk"),
            path("bulk/template.csv", view(self.bulk_template_view), name="invitations_invitation_bulk_template"),
            path("bulk/<uuid:job_id>/", view(self.bulk_job_view), name="invitations_invitation_bulk_job"),
            path(
                "bulk/<uuid:job_id>/resume/",
                view(require_POST(self.bulk_job_resume_view)),
                name="invitations_invitation_bulk_job_resume",
            ),
            path(
                "bulk/<uuid:job_id>/results.csv",
                view(self.bulk_job_csv_view),
                name="invitations_invitation_bulk_job_csv",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:invitations_invitation_invite"))

    def _context(self, request: HttpRequest, title: str, **extra: object) -> dict:
        users = Crumb("Users", reverse("admin:directory_directoryuser_changelist"))
        blade = Blade(title, breadcrumbs=[*self.list_crumbs(request)[:2], users, Crumb(title)])
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title, "blade": blade, **extra}

    def _invited_user(self, request: HttpRequest, user_id: str) -> DirectoryUser:
        if request.method != "POST" or not self.has_invite_permission(request):
            raise PermissionDenied
        return get_object_or_404(DirectoryUser.objects.select_related("tenant"), pk=user_id)

    def _back_to_user(self, user: DirectoryUser) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:directory_directoryuser_overview", args=[user.pk]))

    def resend_user_view(self, request: HttpRequest, user_id: str) -> HttpResponse:
        """**Resend invitation** from the user's Overview."""
        user = self._invited_user(request, user_id)
        invitation = user.invitations.filter(status=Invitation.Status.PENDING_ACCEPTANCE).first()
        if invitation is None:
            self.message_user(request, f"{user.display_name} has no pending invitation to resend.", messages.ERROR)
            return self._back_to_user(user)
        try:
            result = resend_invitation(invitation=invitation, actor=request.user)
        except PolicyError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            if result.email_sent:
                self.message_user(request, f"Invitation sent again to {user.mail}.", messages.SUCCESS)
            else:
                self.message_user(request, _not_emailed_message(user.mail, result.invite_redeem_url), messages.WARNING)
        return self._back_to_user(user)

    def reset_user_view(self, request: HttpRequest, user_id: str) -> HttpResponse:
        """**Reset redemption status** from the user's Overview."""
        user = self._invited_user(request, user_id)
        _reset_users(self, request, [user])
        return self._back_to_user(user)

    def invite_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_invite_permission(request):
            raise PermissionDenied
        form = InviteGuestForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                result = invite_guest(
                    tenant=data["tenant"],
                    inviter=request.user,
                    email=data["email"],
                    group=data["group"],
                    display_name=data["display_name"],
                    message=data["message"],
                    redirect_url=data["redirect_url"],
                    message_language=data["message_language"],
                    send_invitation_message=data["send_invitation_message"],
                )
            except PolicyError as error:
                form.add_error(None, error.messages)
            else:
                context = self._context(request, "Invitation sent" if result.email_sent else "Guest user invited")
                context.update(result=result, send_requested=data["send_invitation_message"])
                return TemplateResponse(request, "admin/invitations/invite_done.html", context)
        context = self._context(request, "Invite external user", form=form)
        return TemplateResponse(request, "admin/invitations/invite.html", context)

    def bulk_template_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_invite_permission(request):
            raise PermissionDenied
        response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="BulkInviteTemplate.csv"'
        return response

    def bulk_invite_view(self, request: HttpRequest) -> HttpResponse:
        """Upload → dry run (writes nothing) → **Invite** → the result of every row."""
        if not self.has_invite_permission(request):
            raise PermissionDenied
        title = "Bulk invite users"
        if request.method == "POST" and "csv_text" in request.POST:
            return self._bulk_run(request, title)
        form = BulkInviteUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            tenant, group = form.cleaned_data["tenant"], form.cleaned_data["group"]
            try:
                check_inviter_allowed(tenant=tenant, inviter=request.user)
                check_group_takes_guests(tenant=tenant, group=group)
                text = decode_upload(form.cleaned_data["csv_file"].read())
                rows = parse_bulk_csv(text=text, tenant=tenant)
            except PolicyError as error:
                form.add_error("csv_file" if isinstance(error, BulkFileError) else None, error.messages)
            else:
                confirm = BulkInviteConfirmForm(
                    initial={"tenant": tenant.pk, "group": group.pk if group else None, "csv_text": text}
                )
                context = self._context(request, title, rows=rows, confirm=confirm, tenant=tenant, group=group)
                context["valid_count"] = sum(1 for row in rows if row.valid)
                return TemplateResponse(request, "admin/invitations/bulk_dry_run.html", context)
        context = self._context(request, title, form=form)
        return TemplateResponse(request, "admin/invitations/bulk_upload.html", context)

    def _bulk_run(self, request: HttpRequest, title: str) -> HttpResponse:
        confirm = BulkInviteConfirmForm(request.POST)
        if not confirm.is_valid():
            self.message_user(request, "The bulk invite form expired; upload the file again.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:invitations_invitation_bulk"))
        tenant, group = confirm.cleaned_data["tenant"], confirm.cleaned_data["group"]
        try:
            job = start_bulk_invite(
                tenant=tenant, inviter=request.user, csv_text=confirm.cleaned_data["csv_text"], group=group
            )
        except PolicyError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:invitations_invitation_bulk"))
        return HttpResponseRedirect(reverse("admin:invitations_invitation_bulk_job", args=[job.pk]))

    def _bulk_job(self, request: HttpRequest, job_id: uuid.UUID) -> BulkInviteJob:
        if not self.has_invite_permission(request):
            raise PermissionDenied
        return get_object_or_404(BulkInviteJob.objects.select_related("tenant", "group"), pk=job_id)

    def bulk_job_view(self, request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
        """The job's progress (rows done, failed, left), polled by htmx until it finishes, then every row."""
        job = self._bulk_job(request, job_id)
        finished = job.status == BulkInviteJob.Status.FINISHED
        context = self._context(
            request,
            "Bulk invite users",
            job=job,
            finished=finished,
            progress=bulk_progress(job),
            rows=result_rows(job) if finished else [],
        )
        template = "admin/invitations/bulk_results.html"
        return TemplateResponse(request, f"{template}#progress" if request.htmx else template, context)

    def bulk_job_resume_view(self, request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
        """**Resume**: queue the job's task again, for a worker that died; rows already done stay done."""
        job = self._bulk_job(request, job_id)
        resume_bulk_invite(job=job)
        return HttpResponseRedirect(reverse("admin:invitations_invitation_bulk_job", args=[job.pk]))

    def bulk_job_csv_view(self, request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
        job = self._bulk_job(request, job_id)
        response = HttpResponse(results_csv(job), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="BulkInviteResults-{job.pk}.csv"'
        return response


def _not_emailed_message(email: str, url: str) -> str:
    return f"{email} has blocked invitations, so no email was sent. Share this link with them another way: {url}"


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ("to", "subject", "kind", "status", "attempts", "short_error", "created_date_time", "sent_date_time")
    list_filter = ("status", "kind", "tenant")
    list_select_related = ("tenant",)
    search_fields = ("to", "subject")
    date_hierarchy = "created_date_time"
    actions = ["retry_sending"]
    fields = (
        "to",
        "from_email",
        "reply_to",
        "subject",
        "kind",
        "tenant",
        "invitation",
        "status",
        "attempts",
        "last_error",
        "created_date_time",
        "next_attempt_date_time",
        "sent_date_time",
        "body_text",
        "body_html",
    )
    readonly_fields = fields

    @admin.display(description="Last error")
    def short_error(self, obj: OutboundEmail) -> str:
        return obj.last_error[:80] + ("…" if len(obj.last_error) > 80 else "")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutboundEmail | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OutboundEmail | None = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("invitations.view_outboundemail") and request.user.is_staff

    @admin.action(description="Retry sending", permissions=["retry"])
    def retry_sending(self, request: HttpRequest, queryset: QuerySet) -> None:
        ids = list(queryset.exclude(status=OutboundEmail.Status.SENT).values_list("pk", flat=True))
        sent = retry_emails(email_ids=ids)
        if sent:
            self.message_user(request, f"Sent {sent} of {len(ids)}.", messages.SUCCESS)
        if sent < len(ids):
            self.message_user(
                request,
                f"{len(ids) - sent} could not be sent yet; see Last error. They stay queued and are retried.",
                messages.WARNING,
            )
        if not ids:
            self.message_user(request, "The selected emails were already sent.", messages.INFO)


@admin.register(BlockedAddress)
class BlockedAddressAdmin(admin.ModelAdmin):
    list_display = ("email", "blocked_date_time")
    search_fields = ("email",)
    fields = ("email", "blocked_date_time")
    readonly_fields = ("blocked_date_time",)

    def has_change_permission(self, request: HttpRequest, obj: BlockedAddress | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: BlockedAddress, form, change: bool) -> None:
        saved = block_future_invitations(email=obj.email)
        obj.pk, obj.email, obj.blocked_date_time = saved.pk, saved.email, saved.blocked_date_time
        obj._state.adding = False
