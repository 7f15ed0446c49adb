"""The one JSON API at /api/v1/ (Django Ninja), with OpenAPI at /api/v1/openapi.json.

Every app contributes a Router from its own api.py; errors share one shape:
{"error": {"code": ..., "message": ..., "field": ...}} with a 4xx status.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from yiwang.kernel.errors import DomainError
from yiwang.kernel.permissions import public

api = NinjaAPI(
    title="一网 yiwang API",
    version="1.0.0",
    description="一网通办、统一身份认证、事项目录等接口。错误统一为 {error: {code, message, field}}。",
    urls_namespace="api",
    docs_url="/docs",
)

_FIELD_MESSAGES = {
    "missing": "必填项缺失",
    "string_too_short": "内容过短",
    "string_too_long": "内容过长",
    "int_parsing": "必须是整数",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "json_invalid": "请求体不是合法的 JSON",
    "string_type": "必须是字符串",
    "int_type": "必须是整数",
    "float_type": "必须是数字",
    "bool_type": "必须是布尔值",
    "bool_parsing": "必须是布尔值",
    "list_type": "必须是列表",
    "dict_type": "必须是对象",
    "too_short": "条目过少",
    "too_long": "条目过多",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "datetime_parsing": "时间格式应为 ISO 8601",
    "datetime_from_date_parsing": "时间格式应为 ISO 8601",
    "uuid_parsing": "不是合法的 UUID",
    "uuid_type": "不是合法的 UUID",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "greater_than": "数值过小",
    "less_than": "数值过大",
    "decimal_parsing": "必须是数字",
    "model_attributes_type": "请求体格式不正确",
    "model_type": "请求体格式不正确",
}


def _error(request: HttpRequest, status: int, code: str, message: str, field: str | None) -> HttpResponse:
    return api.create_response(request, {"error": {"code": code, "message": message, "field": field}}, status=status)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _error(request, exc.status, exc.code, exc.message, exc.field)


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    first: dict[str, Any] = exc.errors[0] if exc.errors else {}
    loc = [str(p) for p in first.get("loc", []) if p not in ("body", "query", "path", "payload", "form")]
    field = ".".join(loc) or None
    kind = str(first.get("type", ""))
    raw = str(first.get("msg", "输入不合法"))
    # Our own validators raise ValueError with a Chinese message; pydantic prefixes it.
    message = raw.removeprefix("Value error, ") if kind == "value_error" else _FIELD_MESSAGES.get(kind, raw)
    return _error(request, 422, "request.invalid", message, field)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _error(request, 401, "auth.required", "需要登录或有效的访问令牌", None)
    response["WWW-Authenticate"] = 'Bearer realm="yiwang"'
    return response


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _error(request, 413, "request.too_large", "请求体过大（上限 16MB；单个材料不超过 10MB）", None)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, f"http.{exc.status_code}", str(exc), None)


@public("answers unknown API paths with the shared JSON error instead of an HTML page")
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Mounted after the API: any /api/ path no operation matched."""
    return JsonResponse({"error": {"code": "api.not_found", "message": "接口不存在，请查看 /api/v1/docs", "field": None}},
                        status=404, json_dumps_params={"ensure_ascii": False})


def _register_routers() -> None:
    from yiwang.cases.api import router as cases_router
    from yiwang.catalog.api import router as catalog_router
    from yiwang.certificates.api import router as certificates_router
    from yiwang.exchange.api import router as exchange_router
    from yiwang.feedback.api import router as feedback_router
    from yiwang.identity.api import router as identity_router
    from yiwang.kernel.api import router as kernel_router
    from yiwang.ledger.api import router as ledger_router

    api.add_router("/kernel", kernel_router)
    api.add_router("/identity", identity_router)
    api.add_router("/catalog", catalog_router)
    api.add_router("/ledger", ledger_router)
    api.add_router("/exchange", exchange_router)
    api.add_router("/certificates", certificates_router)
    api.add_router("/cases", cases_router)
    api.add_router("/feedback", feedback_router)


_register_routers()
