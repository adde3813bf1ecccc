"""Graph `organization`: the caller's own tenant."""

from django.http import HttpRequest

from directory.models import Tenant
from graph.api import operation
from graph.odata import page
from graph.resources import Prop, Resource, graph_datetime

READ = ("Directory.Read.All", "User.Read.All", "User.ReadWrite.All")


def _verified_domains(tenant: Tenant) -> list[dict]:
    primary = tenant.primary_domain
    initial = [{"name": tenant.initial_domain, "isInitial": True, "isDefault": tenant.initial_domain == primary}]
    custom = [{"name": d, "isInitial": False, "isDefault": d == primary} for d in tenant.verified_domain_list]
    return [{**d, "type": "Managed", "capabilities": "Email"} for d in initial + custom]


ORGANIZATION = Resource(
    name="organization",
    entity_set="organization",
    props=(
        Prop("id", "uuid", lambda t: str(t.pk), "id"),
        Prop("displayName", "string", lambda t: t.display_name),
        Prop("tenantType", "string", lambda t: "AAD"),
        Prop("createdDateTime", "date-time", lambda t: graph_datetime(t.created_date_time)),
        Prop("verifiedDomains", "array", _verified_domains, schema={"type": "array", "items": {"type": "object"}}),
        Prop(
            "privacyProfile",
            "object",
            lambda t: {"statementUrl": t.privacy_statement_url or None, "contactEmail": None},
            schema={"type": "object"},
        ),
    ),
)


@operation("GET", "/organization", permissions=READ, resource=ORGANIZATION, collection=True)
def list_organization(request: HttpRequest) -> dict:
    """Get the organization"""
    return page(request, Tenant.objects.filter(pk=request.caller.tenant.pk), ORGANIZATION, context="organization")
