from django.urls import path

from backcast.web.views import organizations as views

urlpatterns = [
    path("", views.home, name="home"),
    path("o/<slug:slug>/", views.org_detail, name="org-detail"),
    path("o/<slug:slug>/teams/", views.team_create, name="team-create"),
    path("o/<slug:slug>/members/", views.member_role, name="member-role"),
    path("o/<slug:slug>/leave/", views.org_leave, name="org-leave"),
    path("o/<slug:slug>/invitations/", views.invitation_create, name="invitation-create"),
    path(
        "o/<slug:slug>/invitations/<int:invitation_id>/resend/",
        views.invitation_resend,
        name="invitation-resend",
    ),
    path(
        "o/<slug:slug>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation-revoke",
    ),
    path("invitations/accept/", views.invitation_accept, name="invitation-accept"),
]
