from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from directory.models import DirectoryRoleAssignment
from portal.forms import OrganizationForm
from portal.tenancy import directory_users_of, select_tenant

NOT_YOUR_ORGANIZATION = "You can't switch to that organization: your account isn't an active user there."


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """My account: the signed-in account and every organization it can work in."""
    users = directory_users_of(request)
    prefetch_related_objects(
        users, Prefetch("role_assignments", queryset=DirectoryRoleAssignment.objects.order_by("role"))
    )
    return render(request, "portal/profile.html", {"organization_users": users})


@require_POST
@login_required
def switch_organization(request: HttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST)
    chosen = select_tenant(request, tenant_id=str(form.cleaned_data["tenant_id"])) if form.is_valid() else None
    if chosen is None:
        messages.error(request, NOT_YOUR_ORGANIZATION)
        return redirect("portal:my-apps")
    messages.success(request, f"You're now working in {chosen.tenant.display_name}.")
    return redirect("portal:my-apps")
