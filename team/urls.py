from django.urls import path

from team import views

urlpatterns = [
    path("team/", views.team, name="team"),
    path("team/members/new/", views.member_create, name="member-create"),
    path("team/members/<int:pk>/role/", views.member_role, name="member-role"),
    path("team/members/<int:pk>/active/", views.member_active, name="member-active"),
    path("team/tokens/new/", views.token_create, name="token-create"),
    path("team/tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("team/signins/unlock/", views.signin_unlock, name="signin-unlock"),
    path("team/settings/", views.farm_settings_update, name="farm-settings"),
    path("password/", views.PasswordChange.as_view(), name="password-change"),
    path("licences/", views.licences, name="licences"),
    path("licences/install/", views.licence_install, name="licence-install"),
    path("audit/", views.audit, name="audit"),
]
