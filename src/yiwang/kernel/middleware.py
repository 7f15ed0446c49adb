"""Request id and actor context for every request."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from yiwang.kernel import context

_SAFE_ID = re.compile(r"^[A-Za-z0-9\-]{8,64}$")


class RequestIdMiddleware:
    """Takes a well-formed X-Request-Id from the caller or makes one; echoes it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-Id", "")
        rid = incoming if _SAFE_ID.match(incoming) else context.new_request_id()
        token = context.set_request_id(rid)
        actor_token = context.set_actor(context.Actor())
        request.request_id = rid  # type: ignore[attr-defined]
        try:
            response = self.get_response(request)
        finally:
            context.reset_actor(actor_token)
            context._request_id.reset(token)
        response["X-Request-Id"] = rid
        return response
