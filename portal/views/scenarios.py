"""**Scenarios** (demo mode only): the trainer resets the demo to a training scenario in one click."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from directory.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, SCENARIOS, reset_demo

UNKNOWN_SCENARIO = "Choose one of the scenarios below."


@require_http_methods(["GET", "POST"])
def scenarios(request: HttpRequest) -> HttpResponse:
    """GET: the scenarios and what the audience sees in each. POST: reset the demo to one of them."""
    # Like the open mailbox, this exists only in demo mode: it deletes every tenant.
    if not settings.DEMO_MODE:
        raise Http404("Scenarios exist only in demo mode.")
    if request.method == "POST":
        scenario = SCENARIOS.get(request.POST.get("scenario", ""))
        if scenario is None:
            messages.error(request, UNKNOWN_SCENARIO)
            return redirect("portal:scenarios")
        reset_demo(scenario=scenario.name)
        # The reset deleted the signed-in account with everything else.
        logout(request)
        messages.success(request, f"The demo now starts at “{scenario.title}”. {scenario.audience_sees}")
        return redirect("portal:scenarios")
    context = {
        "scenarios": SCENARIOS.values(),
        "accounts": DEMO_ACCOUNTS,
        "password": DEMO_PASSWORD,
        "nav_section": "scenarios",
    }
    return render(request, "portal/scenarios.html", context)
