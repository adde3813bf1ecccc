from django.urls import path

from portal.views import account, apps, groups, manage, requests, scenarios

app_name = "portal"

urlpatterns = [
    path("", apps.my_apps, name="my-apps"),
    path("sign-in/", apps.SignInView.as_view(), name="sign-in"),
    path("apps/<uuid:app_id>/logo/<slug:version>.png", apps.app_logo, name="app-logo"),
    path("sign-out/", apps.SignOutView.as_view(), name="sign-out"),
    path("apps/<uuid:app_id>/launch/", apps.launch, name="launch"),
    path("apps/<uuid:app_id>/details/", apps.app_details, name="app-details"),
    path("sample-app/<uuid:app_id>/", apps.sample_app, name="sample-app"),
    path("account/", account.profile, name="profile"),
    path("account/organization/", account.switch_organization, name="switch-organization"),
    path("apps/add/", requests.add_apps, name="add-apps"),
    path("apps/<uuid:app_id>/request/", requests.request_app, name="request-app"),
    path("requests/", requests.requests_page, name="requests"),
    path("requests/apps/<uuid:request_id>/approve/", requests.approve_request, name="approve-app-request"),
    path("requests/apps/<uuid:request_id>/deny/", requests.deny_request, name="deny-app-request"),
    path("requests/apps/<uuid:request_id>/cancel/", requests.cancel_request, name="cancel-app-request"),
    path("apps/<uuid:app_id>/manage/", manage.manage_app, name="manage-app"),
    path("apps/<uuid:app_id>/manage/add/", manage.manage_app_add, name="manage-app-add"),
    path(
        "apps/<uuid:app_id>/manage/members/<uuid:user_id>/remove/",
        manage.manage_app_remove_member,
        name="manage-app-remove-member",
    ),
    path("people/search/", manage.people_search, name="people-search"),
    path("scenarios/", scenarios.scenarios, name="scenarios"),
    path("groups/", groups.groups, name="groups"),
    path("groups/join/", groups.groups_join, name="groups-join"),
    path("groups/new/", groups.group_new, name="group-new"),
    path("groups/<uuid:group_id>/", groups.group_detail, name="group"),
    path("groups/<uuid:group_id>/add/", groups.group_add_members, name="group-add-members"),
    path(
        "groups/<uuid:group_id>/members/<uuid:user_id>/remove/",
        groups.group_remove_member,
        name="group-remove-member",
    ),
    path("groups/<uuid:group_id>/edit/", groups.group_edit, name="group-edit"),
    path("groups/<uuid:group_id>/owners/<uuid:user_id>/add/", groups.group_add_owner, name="group-add-owner"),
    path(
        "groups/<uuid:group_id>/owners/<uuid:user_id>/remove/",
        groups.group_remove_owner,
        name="group-remove-owner",
    ),
    path("groups/<uuid:group_id>/delete/", groups.group_delete, name="group-delete"),
    path("groups/<uuid:group_id>/join/", groups.group_join, name="group-join"),
    path("groups/<uuid:group_id>/leave/", groups.group_leave, name="group-leave"),
    path("requests/groups/<uuid:request_id>/approve/", groups.join_request_approve, name="approve-join-request"),
    path("requests/groups/<uuid:request_id>/deny/", groups.join_request_deny, name="deny-join-request"),
    path("requests/groups/<uuid:request_id>/cancel/", groups.join_request_cancel, name="cancel-join-request"),
]
