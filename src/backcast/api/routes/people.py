from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from backcast.api.schemas import Me
from backcast.organizations.tenancy import user_pk

router = Router(tags=["people"])


@router.get("/me", response=Me, summary="The authenticated person")
def me(request: HttpRequest) -> Me:
    user = request.user
    return Me(id=user_pk(user), email=getattr(user, "email", ""), name=getattr(user, "name", ""))
