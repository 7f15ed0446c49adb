"""Sets the kernel's actor context from the logged-in user, so services audit who acted — and, when
the user acts for someone else (帮办代办 or as an enterprise operator), on whose behalf."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from yiwang.kernel import context
from yiwang.kernel.errors import DomainError

ACTING_FOR_KEY = "acting_for"


def _checked_acting_for(request: HttpRequest) -> str:
    """The session's acting-for reference if it is still backed by a live delegation or mandate."""
    ref = request.session.get(ACTING_FOR_KEY, "")
    if not ref:
        return ""
    from yiwang.identity.services import acting_for_resolve

    try:
        return acting_for_resolve(user=request.user, ref=ref)  # type: ignore[arg-type]
    except DomainError:
        # The delegation was revoked or has expired: stop acting for them.
        request.session[ACTING_FOR_KEY] = ""
        return ""


class ActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            token = context.set_actor(
                context.Actor(user_id=user.pk, label=str(user), on_behalf_of=_checked_acting_for(request),
                              roles=frozenset(user.role_names()))
            )
            try:
                return self.get_response(request)
            finally:
                context.reset_actor(token)
        return self.get_response(request)
