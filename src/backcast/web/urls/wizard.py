"""The backward-planning wizard's URLs: started from an organisation, then one URL per step."""

from django.urls import path

from backcast.web.views import wizard

urlpatterns = [
    path("o/<slug:slug>/plan/", wizard.wizard_start, name="wizard-start"),
    path("o/<slug:slug>/plan/smart/", wizard.wizard_smart_draft, name="wizard-smart-draft"),
    path("goals/<int:goal_id>/plan-wizard/smart/", wizard.wizard_goal_smart, name="wizard-goal-smart"),
    path("goals/<int:goal_id>/plan-wizard/<int:step>/", wizard.wizard_step, name="wizard-step"),
]
