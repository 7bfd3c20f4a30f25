from django.urls import URLPattern, path

from backcast.web.views import replanning as views

urlpatterns: list[URLPattern] = [
    path("goals/<int:goal_id>/timeline/baselines/", views.timeline_baselines, name="timeline-baselines"),
    path("goals/<int:goal_id>/scenarios/", views.scenario_list, name="scenario-list"),
    path("scenarios/<int:scenario_id>/", views.scenario_detail, name="scenario-detail"),
    path("scenarios/<int:scenario_id>/adopt/", views.scenario_adopt, name="scenario-adopt"),
    path("scenarios/<int:scenario_id>/discard/", views.scenario_discard, name="scenario-discard"),
]
