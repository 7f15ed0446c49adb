"""Request id and actor context for every request; the API's error shape for framework answers."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

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


class ApiErrorShapeMiddleware:
    """Under /api/ every error keeps the API's JSON shape, also the 405 that Django Ninja answers
    itself (as text) for a method an operation does not serve."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (response.status_code == 405 and request.path.startswith("/api/")
                and not response.get("Content-Type", "").startswith("application/json")):
            shaped = JsonResponse({"error": {"code": "http.405", "message": f"该接口不支持 {request.method} 方法",
                                             "field": None}}, status=405, json_dumps_params={"ensure_ascii": False})
            if response.has_header("Allow"):
                shaped["Allow"] = response["Allow"]
            return shaped
        return response
