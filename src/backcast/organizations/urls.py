from django.urls import path

from backcast.organizations import views

urlpatterns = [
    path("", views.home, name="home"),
    path("o/<slug:slug>/", views.org_detail, name="org-detail"),
    path("o/<slug:slug>/teams/", views.team_create, name="team-create"),
    path("o/<slug:slug>/members/", views.member_add, name="member-add"),
]
