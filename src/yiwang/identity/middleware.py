"""Sets the kernel's actor context from the logged-in user, so services audit who acted."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from yiwang.kernel import context


class ActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            on_behalf = request.session.get("acting_for", "")
            token = context.set_actor(
                context.Actor(user_id=user.pk, label=str(user), on_behalf_of=on_behalf,
                              roles=frozenset(user.role_names()))
            )
            try:
                return self.get_response(request)
            finally:
                context.reset_actor(token)
        return self.get_response(request)
