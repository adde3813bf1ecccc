"""Template tags of the Groups feature, so other pages can include its sections without extra view code."""

from django import template

from portal.selectors import can_use_groups, join_requests_context

register = template.Library()


@register.simple_tag(takes_context=True)
def join_requests_for_current_user(context: template.Context) -> dict[str, object]:
    """Pending requests to join the current user's groups, and their own requests (for the Requests page)."""
    user = context.get("directory_user")
    if user is None or not can_use_groups(user=user):
        return {"join_requests": [], "my_join_requests": []}
    return join_requests_context(user=user)
