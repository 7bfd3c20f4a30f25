from django.urls import include, path

from backcast.web.views import comments as comment_views
from backcast.web.views import goals as views
from backcast.web.views import imports as import_views

urlpatterns = [
    path("o/<slug:slug>/goals/", views.goal_list, name="goal-list"),
    path("o/<slug:slug>/goals/new/", views.goal_create, name="goal-create"),
    path("goals/<int:goal_id>/", views.goal_detail, name="goal-detail"),
    path("goals/<int:goal_id>/edit/", views.goal_edit, name="goal-edit"),
    path("goals/<int:goal_id>/delete/", views.goal_delete, name="goal-delete"),
    path("goals/<int:goal_id>/timeline/", views.goal_timeline, name="goal-timeline"),
    path("goals/<int:goal_id>/kpis/", views.kpi_create, name="kpi-create"),
    path("goals/<int:goal_id>/milestones/", views.milestone_create, name="milestone-create"),
    path("goals/<int:goal_id>/checkins/", views.checkin_create, name="checkin-create"),
    path("kpis/<int:kpi_id>/readings/", views.reading_create, name="reading-create"),
    path("kpis/<int:kpi_id>/import/", import_views.reading_import, name="reading-import"),
    path("goals/<int:goal_id>/comments/", comment_views.goal_comments, name="goal-comments"),
    path("comments/<int:comment_id>/delete/", comment_views.comment_delete, name="comment-delete"),
    path("", include("backcast.web.urls.wizard")),
]
