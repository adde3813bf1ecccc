import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from directory.models import Application
from directory.services import PolicyError
from portal.access_requests import (
    app_requests_by,
    app_requests_for_approver,
    approve_app_request,
    cancel_app_request,
    deny_app_request,
    request_app_access,
    requestable_apps_for_user,
)
from portal.forms import AppRequestForm, DecisionForm
from portal.models import RequestStatus
from portal.tenancy import directory_user_required
from portal.views.apps import MAX_QUERY_LENGTH

MY_REQUESTS_SHOWN = 100


@directory_user_required
def add_apps(request: HttpRequest) -> HttpResponse:
    """Add apps: the self-service apps of this organization the user doesn't have yet."""
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    apps = requestable_apps_for_user(user=request.directory_user)
    if query:
        apps = apps.filter(display_name__icontains=query)
    context = {"apps": list(apps), "query": query, "form": AppRequestForm()}
    if request.htmx:
        return render(request, "portal/add_apps.html#results", context)
    return render(request, "portal/add_apps.html", context)


@directory_user_required
def request_app(request: HttpRequest, app_id: uuid.UUID) -> HttpResponse:
    user = request.directory_user
    application = get_object_or_404(
        Application.objects.defer("logo").filter(
            tenant_id=user.tenant_id, self_service_enabled=True, visible_to_users=True, account_enabled=True
        ),
        pk=app_id,
    )
    form = AppRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            access_request = request_app_access(
                application=application, requester=user, justification=form.cleaned_data["justification"]
            )
        except PolicyError as exc:
            form.add_error(None, exc)
        else:
            if access_request.status == RequestStatus.APPROVED:
                messages.success(request, f"You now have access to {application.display_name}.")
                return redirect("portal:my-apps")
            messages.success(
                request, f"Your request for {application.display_name} was sent to its approvers for a decision."
            )
            return redirect("portal:requests")
    return render(request, "portal/app_requests_form.html", {"application": application, "form": form})


@directory_user_required
def requests_page(request: HttpRequest) -> HttpResponse:
    """My requests, and the pending app requests this user may decide."""
    user = request.directory_user
    context = {
        "my_requests": list(app_requests_by(user=user)[:MY_REQUESTS_SHOWN]),
        "approvals": list(app_requests_for_approver(user=user).filter(status=RequestStatus.PENDING)),
        "decision_form": DecisionForm(),
    }
    return render(request, "portal/app_requests.html", context)


def _decide(request: HttpRequest, request_id: uuid.UUID, *, approve: bool) -> HttpResponse:
    access_request = get_object_or_404(app_requests_for_approver(user=request.directory_user), pk=request_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["reason"][0])
        return redirect("portal:requests")
    decide = approve_app_request if approve else deny_app_request
    try:
        decide(access_request=access_request, approver=request.directory_user, reason=form.cleaned_data["reason"])
    except PolicyError as exc:
        messages.error(request, exc.messages[0])
    else:
        verb = "approved" if approve else "denied"
        messages.success(
            request,
            f"You {verb} {access_request.requester.display_name}'s request for "
            f"{access_request.application.display_name}.",
        )
    return redirect("portal:requests")


@require_POST
@directory_user_required
def approve_request(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    return _decide(request, request_id, approve=True)


@require_POST
@directory_user_required
def deny_request(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    return _decide(request, request_id, approve=False)


@require_POST
@directory_user_required
def cancel_request(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    access_request = get_object_or_404(app_requests_by(user=request.directory_user), pk=request_id)
    try:
        cancel_app_request(access_request=access_request, requester=request.directory_user)
    except PolicyError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, f"You cancelled your request for {access_request.application.display_name}.")
    return redirect("portal:requests")
