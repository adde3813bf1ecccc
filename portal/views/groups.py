"""Groups: **Groups I own**, **Groups I'm in**, **Join group**, a group's page, and join requests."""

import uuid
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accessportal.links import local_next
from directory.models import DirectoryUser, Group
from directory.services import LAST_OWNER, PolicyError, is_directory_admin
from portal import selectors, services
from portal.forms import AddMembersForm, DecisionForm, GroupDetailsForm, JoinRequestForm, NewGroupForm
from portal.models import GroupJoinRequest
from portal.tenancy import directory_user_required
from portal.views.manage import (
    add_members_view,
    group_target,
    member_list_context,
    read_only_reason,
    remove_member_view,
)

TABS = {"owned": "Groups I own", "member": "Groups I'm in"}


def groups_feature_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A directory user, and the tenant lets them use the Access Panel's groups features."""

    @directory_user_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not selectors.can_use_groups(user=request.directory_user):
            return render(request, "portal/groups_restricted.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _owned_group(request: HttpRequest, group_id: uuid.UUID) -> Group:
    return get_object_or_404(selectors.owned_groups(user=request.directory_user), pk=group_id)


def _can_manage(group: Group) -> bool:
    return bool(group.is_owner) and not read_only_reason(group=group, is_owner=True)


def _refuse(request: HttpRequest, exc: PolicyError, url: str) -> HttpResponse:
    messages.error(request, exc.messages[0])
    return redirect(url)


@groups_feature_required
@require_GET
def groups(request: HttpRequest) -> HttpResponse:
    user = request.directory_user
    tab = request.GET.get("tab", "owned")
    if tab not in TABS:
        tab = "owned"
    q = request.GET.get("q", "").strip()
    lists = selectors.groups_for_portal(user=user, q=q)
    context = {
        "tab": tab,
        "tabs": [(key, label, lists[key].count()) for key, label in TABS.items()],
        "group_list": list(lists[tab]),
        "q": q,
        "can_create": selectors.can_create_groups(user=user),
    }
    if request.htmx:
        return render(request, "portal/groups.html#group-list", context)
    return render(request, "portal/groups.html", context)


@groups_feature_required
@require_GET
def groups_join(request: HttpRequest) -> HttpResponse:
    user = request.directory_user
    q = request.GET.get("q", "").strip()
    context = {
        "group_list": list(selectors.joinable_groups(user=user, q=q)),
        "q": q,
        "self_service_on": user.tenant.owners_can_manage_group_membership_requests,
    }
    if request.htmx:
        return render(request, "portal/groups_join.html#group-list", context)
    return render(request, "portal/groups_join.html", context)


@groups_feature_required
def group_new(request: HttpRequest) -> HttpResponse:
    user = request.directory_user
    if not selectors.can_create_groups(user=user):
        return render(request, "portal/groups_restricted.html", {"create": True}, status=403)
    form = NewGroupForm(request.POST or None, tenant=user.tenant, is_admin=is_directory_admin(user))
    if request.method == "POST" and form.is_valid():
        try:
            group = services.create_portal_group(actor=user, **form.cleaned_data)
        except PolicyError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Created {group.display_name}. You're its owner.")
            return redirect("portal:group", group_id=group.pk)
    return render(request, "portal/group_new.html", {"form": form})


@groups_feature_required
@require_GET
def group_detail(request: HttpRequest, group_id: uuid.UUID) -> HttpResponse:
    user = request.directory_user
    group = get_object_or_404(selectors.visible_groups(user=user), pk=group_id)
    target = group_target(request, group)
    can_manage = _can_manage(group)
    context = member_list_context(request, target, can_manage=can_manage)
    if request.htmx:
        return render(request, "portal/_member_list.html", context)
    my_request = None
    if group.has_pending_request:
        my_request = GroupJoinRequest.objects.filter(
            group=group, requester=user, status=GroupJoinRequest.Status.PENDING
        ).first()
    owners = list(selectors.group_owners(group=group))
    context.update(
        owners=owners,
        # The only owner isn't offered Remove owner (the service would refuse it): the page says why.
        only_owner_note=LAST_OWNER.format(group=group, name=owners[0].display_name) if len(owners) == 1 else "",
        read_only_reason=read_only_reason(group=group, is_owner=group.is_owner),
        join_requests=list(selectors.pending_join_requests_for_owner(user=user, group=group)) if can_manage else [],
        my_request=my_request,
        form=AddMembersForm(),
        picked=[],
        join_form=JoinRequestForm(),
    )
    return render(request, "portal/group_detail.html", context)


@groups_feature_required
def group_add_members(request: HttpRequest, group_id: uuid.UUID) -> HttpResponse:
    group = _owned_group(request, group_id)
    target = group_target(request, group)
    reason = read_only_reason(group=group, is_owner=True)
    if reason:
        messages.error(request, reason)
        return redirect(target.page_url)
    return add_members_view(request, target, can_manage=True)


@groups_feature_required
def group_remove_member(request: HttpRequest, group_id: uuid.UUID, user_id: uuid.UUID) -> HttpResponse:
    group = _owned_group(request, group_id)
    return remove_member_view(request, group_target(request, group), user_id)


@groups_feature_required
def group_edit(request: HttpRequest, group_id: uuid.UUID) -> HttpResponse:
    group = _owned_group(request, group_id)
    page_url = reverse("portal:group", args=[group.pk])
    initial = {"display_name": group.display_name, "description": group.description, "join_policy": group.join_policy}
    form = GroupDetailsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_group_details(actor=request.directory_user, group=group, **form.cleaned_data)
        except PolicyError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Saved the group's details.")
            return redirect(page_url)
    return render(
        request,
        "portal/group_edit.html",
        {"group": group, "form": form, "read_only_reason": read_only_reason(group=group, is_owner=True)},
    )


@groups_feature_required
@require_POST
def group_add_owner(request: HttpRequest, group_id: uuid.UUID, user_id: uuid.UUID) -> HttpResponse:
    group = _owned_group(request, group_id)
    person = get_object_or_404(DirectoryUser, pk=user_id, tenant_id=group.tenant_id)
    page_url = reverse("portal:group", args=[group.pk])
    try:
        services.add_owner(actor=request.directory_user, group=group, user=person)
    except PolicyError as exc:
        return _refuse(request, exc, page_url)
    messages.success(request, f"{person.display_name} is now an owner of {group.display_name}.")
    return redirect(page_url)


def _confirm(request: HttpRequest, *, title: str, question: str, confirm_label: str, cancel_url: str) -> HttpResponse:
    return render(
        request,
        "portal/group_confirm.html",
        {"title": title, "question": question, "confirm_label": confirm_label, "cancel_url": cancel_url},
    )


@groups_feature_required
def group_remove_owner(request: HttpRequest, group_id: uuid.UUID, user_id: uuid.UUID) -> HttpResponse:
    group = _owned_group(request, group_id)
    person = get_object_or_404(selectors.group_owners(group=group), pk=user_id)
    page_url = reverse("portal:group", args=[group.pk])
    if request.method != "POST":
        return _confirm(
            request,
            title="Remove owner",
            question=f"Remove {person.display_name} as an owner of {group.display_name}?",
            confirm_label="Remove owner",
            cancel_url=page_url,
        )
    try:
        services.remove_owner(actor=request.directory_user, group=group, user=person)
    except PolicyError as exc:
        return _refuse(request, exc, page_url)
    messages.success(request, f"{person.display_name} is no longer an owner of {group.display_name}.")
    if person.pk == request.directory_user.pk:
        return redirect("portal:groups")
    return redirect(page_url)


@groups_feature_required
def group_delete(request: HttpRequest, group_id: uuid.UUID) -> HttpResponse:
    group = _owned_group(request, group_id)
    page_url = reverse("portal:group", args=[group.pk])
    if request.method != "POST":
        return _confirm(
            request,
            title="Delete group",
            question=f"Delete {group.display_name}? Its members lose the access the group gives them.",
            confirm_label="Delete group",
            cancel_url=page_url,
        )
    try:
        services.delete_portal_group(actor=request.directory_user, group=group)
    except PolicyError as exc:
        return _refuse(request, exc, page_url)
    messages.success(request, f"Deleted {group.display_name}.")
    return redirect("portal:groups")


@groups_feature_required
def group_join(request: HttpRequest, group_id: uuid.UUID) -> HttpResponse:
    """**Join group**: open groups at once; owner-approval groups with a business justification → **Request**."""
    user = request.directory_user
    group = get_object_or_404(selectors.joinable_groups(user=user), pk=group_id)
    page_url = reverse("portal:group", args=[group.pk])
    needs_approval = group.join_policy == Group.JoinPolicy.OWNER_APPROVAL
    form = JoinRequestForm(request.POST or None)
    if request.method == "POST":
        try:
            if needs_approval:
                if form.is_valid():
                    services.request_to_join_group(
                        actor=user, group=group, justification=form.cleaned_data["justification"]
                    )
                    messages.success(request, f"Your request to join {group.display_name} was sent to its owners.")
                    return redirect(page_url)
            else:
                services.join_group(actor=user, group=group)
                messages.success(request, f"You joined {group.display_name}.")
                return redirect(page_url)
        except PolicyError as exc:
            form.add_error(None, exc)
    return render(request, "portal/group_join.html", {"group": group, "form": form, "needs_approval": needs_approval})


@groups_feature_required
def group_leave(request: HttpRequest, group_id: uuid.UUID) -> HttpResponse:
    user = request.directory_user
    group = get_object_or_404(selectors.groups_for_portal(user=user)["member"], pk=group_id)
    page_url = reverse("portal:group", args=[group.pk])
    if request.method != "POST":
        return _confirm(
            request,
            title="Leave group",
            question=f"Leave {group.display_name}? You lose the access it gives you.",
            confirm_label="Leave group",
            cancel_url=page_url,
        )
    try:
        services.leave_group(actor=user, group=group)
    except PolicyError as exc:
        return _refuse(request, exc, page_url)
    messages.success(request, f"You left {group.display_name}.")
    return redirect("portal:groups")


def _decide(request: HttpRequest, request_id: uuid.UUID, *, approve: bool) -> HttpResponse:
    user = request.directory_user
    join_request = get_object_or_404(selectors.decidable_join_requests(user=user), pk=request_id)
    default_url = reverse("portal:group", args=[join_request.group_id])
    form = DecisionForm(request.POST)
    error = ""
    if form.is_valid():
        decide = services.approve_join_request if approve else services.deny_join_request
        try:
            join_request = decide(actor=user, join_request=join_request, reason=form.cleaned_data["reason"])
        except PolicyError as exc:
            error = exc.messages[0]
    else:
        error = form.errors["reason"][0]
    if request.htmx:
        join_request.refresh_from_db()
        return render(
            request,
            "portal/_join_requests_section.html#join-request-row",
            {"join_request": join_request, "error": error, "next": local_next(request, default_url)},
        )
    if error:
        messages.error(request, error)
    else:
        verb = "Approved" if approve else "Denied"
        messages.success(
            request, f"{verb} {join_request.requester.display_name}'s request to join {join_request.group}."
        )
    return redirect(local_next(request, default_url))


@groups_feature_required
@require_POST
def join_request_approve(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    return _decide(request, request_id, approve=True)


@groups_feature_required
@require_POST
def join_request_deny(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    return _decide(request, request_id, approve=False)


@groups_feature_required
@require_POST
def join_request_cancel(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    user = request.directory_user
    join_request = get_object_or_404(selectors.join_requests_of(user=user), pk=request_id)
    default_url = reverse("portal:group", args=[join_request.group_id])
    try:
        services.cancel_join_request(actor=user, join_request=join_request)
    except PolicyError as exc:
        return _refuse(request, exc, local_next(request, default_url))
    messages.success(request, f"Cancelled your request to join {join_request.group}.")
    return redirect(local_next(request, default_url))
