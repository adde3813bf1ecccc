"""Directory roles as admin center permissions: what a Global Administrator, User Administrator,
Helpdesk Administrator or Guest Inviter may open and change, on top of any Django permissions.

The admin still lets in only staff accounts (is_staff); this backend decides what they see inside.
"""

from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.models import Permission

from directory.models import Account, DirectoryRoleAssignment, DirectoryUser

Role = DirectoryRoleAssignment.Role

# Every table of the product's own apps: a Global Administrator manages the whole directory.
PRODUCT_APPS = ("directory", "invitations", "portal")
USERS_AND_GROUPS = tuple(
    f"directory.{action}_{model}"
    for model in ("directoryuser", "group", "groupmember", "groupowner", "directoryroleassignment")
    for action in ("view", "add", "change", "delete")
)
INVITING = ("invitations.view_invitation", "invitations.add_invitation")
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.USER_ADMINISTRATOR: (*USERS_AND_GROUPS, *INVITING, "directory.view_auditevent"),
    Role.HELPDESK_ADMINISTRATOR: ("directory.view_directoryuser", *INVITING),
    Role.GUEST_INVITER: ("directory.view_directoryuser", *INVITING),
}
_CACHE = "_directory_role_perm_cache"


class DirectoryRoleBackend(BaseBackend):
    """Grants the permissions of the roles the account's member users hold (in any of their organizations)."""

    def get_all_permissions(self, user_obj: Account, obj: object = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, _CACHE):
            roles = set(
                DirectoryRoleAssignment.objects.filter(
                    user__account_id=user_obj.pk, user__user_type=DirectoryUser.UserType.MEMBER
                ).values_list("role", flat=True)
            )
            setattr(user_obj, _CACHE, self._permissions(roles))
        return getattr(user_obj, _CACHE)

    def _permissions(self, roles: set[str]) -> set[str]:
        if Role.GLOBAL_ADMINISTRATOR in roles:
            return {
                f"{app_label}.{codename}"
                for app_label, codename in Permission.objects.filter(
                    content_type__app_label__in=PRODUCT_APPS
                ).values_list("content_type__app_label", "codename")
            }
        return {permission for role in roles for permission in ROLE_PERMISSIONS.get(role, ())}

    def has_module_perms(self, user_obj: Account, app_label: str) -> bool:
        return any(permission.startswith(f"{app_label}.") for permission in self.get_all_permissions(user_obj))
