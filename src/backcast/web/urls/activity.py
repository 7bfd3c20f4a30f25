from django.urls import path

from backcast.web.views import activity as views

urlpatterns = [
    path("goals/<int:goal_id>/activity/", views.goal_activity, name="goal-activity"),
    path("o/<slug:slug>/activity/", views.org_activity, name="org-activity"),
    path("o/<slug:slug>/trash/", views.org_trash, name="org-trash"),
    path("goals/<int:goal_id>/restore/", views.goal_restore, name="goal-restore"),
    path("milestones/<int:milestone_id>/restore/", views.milestone_restore, name="milestone-restore"),
]
