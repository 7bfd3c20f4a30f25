"""The discussion of a goal: its comments, and the form to add one.

A page of its own (``/goals/<id>/comments/``) that the goal page also pulls in with htmx, so the
conversation sits next to the plan with JavaScript and one link away without it. Posting
answers with the section again (htmx) or a redirect back (plain form); a fault shows the form
again with the error by the field and the text kept.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from backcast.goals.models import Comment, Goal, Milestone
from backcast.organizations.tenancy import Action, get_for, user_pk
from backcast.services.goals import comments as comment_services
from backcast.services.platform.errors import InvalidInput


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment", max_length=comment_services.MAX_BODY, widget=forms.Textarea(attrs={"rows": 3})
    )
    milestone = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="About milestone")

    def __init__(self, *args: Any, goal: Goal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "The goal as a whole")]
        choices += [(str(m.pk), m.title) for m in Milestone.objects.filter(goal=goal).order_by("pk")]
        self.fields["milestone"].choices = choices  # type: ignore[attr-defined]


def context(request: HttpRequest, goal: Goal, form: CommentForm | None = None) -> dict[str, Any]:
    me = user_pk(request.user)
    comments = list(goal.comments.select_related("author", "milestone"))
    allowed = Goal.objects.filter(pk=goal.pk)
    moderator = allowed.restrict(request.user, Action.PLAN).exists()
    return {
        "goal": goal,
        "comments": comments,
        "removable": {c.pk for c in comments if moderator or (me and c.author_id == me)},
        "can_comment": allowed.restrict(request.user, Action.CONTRIBUTE).exists(),
        "form": form or CommentForm(goal=goal),
    }


@login_required
@require_http_methods(["GET", "POST"])
def goal_comments(request: HttpRequest, goal_id: int) -> HttpResponse:
    """GET: the discussion; POST: add a comment (contributors and up)."""
    action = Action.CONTRIBUTE if request.method == "POST" else Action.VIEW
    goal = get_for(Goal.objects.select_related("organization"), request.user, action, pk=goal_id)
    partial = request.headers.get("HX-Request") == "true"
    template = "goals/_comments.html" if partial else "goals/comments.html"
    if request.method == "GET":
        return render(request, template, context(request, goal))
    form = CommentForm(request.POST, goal=goal)
    if form.is_valid():
        try:
            comment_services.add_comment(request.user, goal.pk, form.cleaned_data)
        except InvalidInput as exc:
            field = exc.field if exc.field in form.fields else None
            form.add_error(field, exc.message)
        else:
            if partial:
                return render(request, template, context(request, goal))
            return redirect("goal-comments", goal_id=goal.pk)
    return render(request, template, context(request, goal, form), status=400)


@login_required
@require_http_methods(["POST"])
def comment_delete(request: HttpRequest, comment_id: int) -> HttpResponse:
    """Delete a comment (its author, or the goal's owner or an admin)."""
    comment = get_for(Comment.objects.all(), request.user, Action.CONTRIBUTE, pk=comment_id)
    goal_id = comment.goal_id
    comment_services.delete_comment(request.user, comment_id)
    if request.headers.get("HX-Request") == "true":
        goal = get_for(Goal.objects.select_related("organization"), request.user, Action.VIEW, pk=goal_id)
        return render(request, "goals/_comments.html", context(request, goal))
    return redirect("goal-comments", goal_id=goal_id)
