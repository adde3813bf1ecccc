"""Manage app: the application owner's list of the app's self-service group, **+** → **Add members**.

The add and remove views here serve both Manage app and a group's page: both act on a
group, and only the page around them differs (MembersTarget).
"""

import uuid
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.core.validators import validate_email
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import Truncator
from django.views.decorators.http import require_GET
from django_htmx.http import reswap, retarget, trigger_client_event

from accessportal.links import absolute_url
from directory import services as directory_services
from directory.emails import canonical_email
from directory.models import Application, DirectoryUser, Group
from directory.services import PolicyError
from portal import selectors, services
from portal.forms import AddMembersForm
from portal.tenancy import directory_user_required

MEMBERS_PER_PAGE = 25
MEMBERS_ADDED_EVENT = "members-added"
MAX_QUERY_LENGTH = 256
TYPED_NO_MATCH = (
    "No one in the directory is called “{q}”. Pick one of the suggestions, or type a full email address "
    "to invite someone."
)


@dataclass(frozen=True)
class MembersTarget:
    """The group whose members are managed, and the page (Manage app or the group page) around it."""

    group: Group
    application: Application | None
    page_url: str
    add_url: str
    invite_redirect_url: str

    @property
    def title(self) -> str:
        return self.application.display_name if self.application else self.group.display_name


def _absolute(request: HttpRequest, path: str) -> str:
    return absolute_url(path, tenant_id=request.directory_user.tenant_id)


def app_target(request: HttpRequest, app_id: uuid.UUID) -> MembersTarget:
    """The app the signed-in user manages (owner of its self-service group), else 404."""
    application = get_object_or_404(selectors.managed_applications(user=request.directory_user), pk=app_id)
    return MembersTarget(
        group=application.self_service_group,
        application=application,
        page_url=reverse("portal:manage-app", args=[application.pk]),
        add_url=reverse("portal:manage-app-add", args=[application.pk]),
        invite_redirect_url=services.app_invite_redirect_url(application),
    )


def group_target(request: HttpRequest, group: Group) -> MembersTarget:
    return MembersTarget(
        group=group,
        application=None,
        page_url=reverse("portal:group", args=[group.pk]),
        add_url=reverse("portal:group-add-members", args=[group.pk]),
        invite_redirect_url=_absolute(request, reverse("portal:my-apps")),
    )


def read_only_reason(*, group: Group, is_owner: bool) -> str:
    """Why the members are read-only here ("" when an owner can change them)."""
    if is_owner and not group.tenant.owners_can_manage_group_membership_requests:
        return directory_services.SELF_SERVICE_GROUPS_OFF
    if group.is_dynamic:
        return directory_services.DYNAMIC_GROUP_NO_MANUAL_MEMBERS.format(group=group)
    if group.on_premises_sync_enabled:
        return directory_services.SYNCED_GROUP_READ_ONLY.format(group=group)
    return ""


def member_page(request: HttpRequest, group: Group) -> Page:
    return Paginator(selectors.group_members(group=group), MEMBERS_PER_PAGE).get_page(request.GET.get("page"))


def member_list_context(request: HttpRequest, target: MembersTarget, *, can_manage: bool) -> dict[str, object]:
    owner_ids = set()
    if target.application is None:
        owner_ids = {owner.pk for owner in selectors.group_owners(group=target.group)}
    return {
        "target": target,
        "group": target.group,
        "application": target.application,
        "members": member_page(request, target.group),
        "can_manage": can_manage,
        "owner_ids": owner_ids,
    }


@directory_user_required
@require_GET
def manage_app(request: HttpRequest, app_id: uuid.UUID) -> HttpResponse:
    target = app_target(request, app_id)
    reason = read_only_reason(group=target.group, is_owner=True)
    context = member_list_context(request, target, can_manage=not reason)
    if request.htmx:
        return render(request, "portal/_member_list.html", context)
    context.update(read_only_reason=reason, form=AddMembersForm(), picked=[])
    return render(request, "portal/manage_app.html", context)


def _picked(group: Group, user_ids: list[str], emails: list[str]) -> list[dict[str, str]]:
    """The people chosen in a refused submission, so the form shows them again."""
    ids = []
    for raw in user_ids:
        try:
            ids.append(uuid.UUID(raw))
        except ValueError:
            continue
    people = [
        {"kind": "user", "value": str(user.pk), "label": user.display_name, "detail": user.mail}
        for user in DirectoryUser.objects.filter(tenant_id=group.tenant_id, pk__in=ids)
    ]
    # The value goes back as typed; the label people read is cut short (a 100k "address" is not shown twice).
    people += [
        {"kind": "email", "value": email, "label": Truncator(email).chars(80), "detail": "Guest"}
        for email in emails
        if email
    ]
    return people


def confirmation(result: services.AddMembersResult, group: Group) -> str:
    parts = []
    if result.added:
        names = ", ".join(user.display_name for user in result.added)
        parts.append(f"Added {names} to {group.display_name}.")
    if result.invited:
        addresses = ", ".join(invite.user.mail for invite in result.invited)
        parts.append(f"Invited {addresses} as a guest.")
    for invite in result.invited_without_email:
        parts.append(
            f"No invitation email was sent to {invite.user.mail} because the address blocks invitations: "
            f"share this invitation link with them another way: {invite.invite_redeem_url}"
        )
    return " ".join(parts)


def with_typed_person(
    *, group: Group, typed: str, user_ids: list[str], emails: list[str]
) -> tuple[list[str], list[str]]:
    """Add what is still typed in the search box (not picked): an email address, or someone's exact name.

    Pressing **Add** right after typing an address must invite it, not drop it. An address goes
    to the service as typed (it validates it and adds the user who has it, if any). Other text
    that names no one is only a search when people are picked, and a refusal when no one is.
    """
    if not typed:
        return user_ids, emails
    if "@" in typed:
        return user_ids, [*emails, typed]
    person = selectors.exact_person(group=group, q=typed)
    if person is not None:
        return [*user_ids, str(person.pk)], emails
    if not user_ids and not any(email.strip() for email in emails):
        raise PolicyError(TYPED_NO_MATCH.format(q=typed))
    return user_ids, emails


def add_members_view(request: HttpRequest, target: MembersTarget, *, can_manage: bool) -> HttpResponse:
    """GET: the full-page form (without JavaScript). POST: add, from the dialog (htmx) or the page.

    The page's **Search** button posts the same form with `search`: it shows suggestions and keeps
    what is picked and the message.
    """
    group = target.group
    user_ids = request.POST.getlist("user")
    emails = request.POST.getlist("email")
    typed = request.POST.get("q", "").strip()[:MAX_QUERY_LENGTH]
    form = AddMembersForm(request.POST or None)
    if request.method == "POST" and "search" not in request.POST and form.is_valid():
        try:
            ids, addresses = with_typed_person(group=group, typed=typed, user_ids=user_ids, emails=emails)
            result = services.add_members(
                actor=request.directory_user,
                group=group,
                user_ids=ids,
                emails=addresses,
                message=form.cleaned_data["message"],
                redirect_url=target.invite_redirect_url,
            )
        except PolicyError as exc:
            form.add_error(None, exc)
        else:
            text = confirmation(result, group)
            if request.htmx:
                context = member_list_context(request, target, can_manage=can_manage)
                context["status_message"] = text
                response = render(request, "portal/_member_list.html", context)
                return trigger_client_event(response, MEMBERS_ADDED_EVENT)
            messages.success(request, text)
            return redirect(target.page_url)
    context = {
        "target": target,
        "group": group,
        "application": target.application,
        "form": form,
        "picked": _picked(group, user_ids, emails),
        "typed": typed,
    }
    if request.htmx and request.method == "POST":
        response = render(request, "portal/_add_members_dialog.html#add-form", context)
        return retarget(reswap(response, "outerHTML"), "#add-members-form")
    q = typed if request.method == "POST" else request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    context.update(suggestions_context(group, q))
    return render(request, "portal/group_add_members.html", context)


def suggestions_context(group: Group, q: str) -> dict[str, object]:
    suggestions = selectors.people_search(group=group, q=q)
    invite_email = ""
    already_member = None
    if "@" in q:
        try:
            validate_email(q)
        except ValidationError:
            pass
        else:
            existing = selectors.directory_user_with_mail(group=group, email=q)
            if existing is None:
                invite_email = canonical_email(q)
            elif group.member_links.filter(user=existing).exists():
                already_member = existing
    return {"suggestions": suggestions, "invite_email": invite_email, "already_member": already_member, "q": q}


@directory_user_required
def manage_app_add(request: HttpRequest, app_id: uuid.UUID) -> HttpResponse:
    target = app_target(request, app_id)
    if read_only_reason(group=target.group, is_owner=True):
        messages.error(request, read_only_reason(group=target.group, is_owner=True))
        return redirect(target.page_url)
    return add_members_view(request, target, can_manage=True)


def remove_member_view(request: HttpRequest, target: MembersTarget, user_id: uuid.UUID) -> HttpResponse:
    """GET: a confirmation page. POST: remove the member."""
    person = get_object_or_404(selectors.group_members(group=target.group), pk=user_id)
    if request.method == "POST":
        try:
            services.remove_member(actor=request.directory_user, group=target.group, user=person)
        except PolicyError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, f"Removed {person.display_name} from {target.group.display_name}.")
        return redirect(target.page_url)
    return render(
        request,
        "portal/group_confirm.html",
        {
            "title": "Remove member",
            "question": f"Remove {person.display_name} ({person.mail}) from {target.group.display_name}?",
            "confirm_label": "Remove member",
            "cancel_url": target.page_url,
        },
    )


@directory_user_required
def manage_app_remove_member(request: HttpRequest, app_id: uuid.UUID, user_id: uuid.UUID) -> HttpResponse:
    target = app_target(request, app_id)
    return remove_member_view(request, target, user_id)


@directory_user_required
@require_GET
def people_search(request: HttpRequest) -> HttpResponse:
    """Suggestions for the Add members search box: only for a group the user may add members to."""
    try:
        group_id = uuid.UUID(request.GET.get("group", ""))
    except ValueError:
        group_id = None
    group = get_object_or_404(selectors.owned_groups(user=request.directory_user), pk=group_id)
    if read_only_reason(group=group, is_owner=True):
        raise Http404("Members of this group can't be changed here.")
    q = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    return render(request, "portal/_people_suggestions.html", {"group": group, **suggestions_context(group, q)})
