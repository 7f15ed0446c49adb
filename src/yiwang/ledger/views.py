"""Ledger pages and plain-text endpoints: the public overview, the latest checkpoint (text/plain
signed note, as c2sp.org/tlog-tiles serves it), proof bundles, the trust policy and the witnesses'
c2sp.org/tlog-witness add-checkpoint endpoint."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from yiwang.kernel.errors import DomainError
from yiwang.kernel.permissions import public
from yiwang.ledger import selectors, services

TEXT = "text/plain; charset=utf-8"
MAX_WITNESS_BODY = 64 * 1024


def _error(exc: DomainError) -> JsonResponse:
    return JsonResponse(exc.as_dict(), status=exc.status, json_dumps_params={"ensure_ascii": False})


@public("可信账本概览公开，便于公众与各部门核验")
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    rows = []
    for log in selectors.logs():
        rows.append({"log": log, "checkpoint": selectors.latest_checkpoint(log),
                     "vkeys": selectors.verifier_keys(log)[:2]})
    witnesses = [{"w": w, "vkey": services.key_verifier(w.key).vkey()} for w in selectors.witnesses()]
    return render(request, "ledger/index.html", {"rows": rows, "witnesses": witnesses})


@public("最新检查点是公开的透明度承诺")
@require_GET
@cache_control(max_age=5, public=True)
def checkpoint(request: HttpRequest, name: str) -> HttpResponse:
    try:
        log = services.get_log(name)
    except DomainError as exc:
        return _error(exc)
    cp = selectors.latest_checkpoint(log)
    if cp is None:
        return HttpResponse("no published checkpoint yet\n", status=404, content_type=TEXT)
    return HttpResponse(cp.note, content_type=TEXT)


@public("离线证明只含加盐摘要、证明路径和签名检查点")
@require_GET
def bundle(request: HttpRequest, name: str, index: int) -> HttpResponse:
    try:
        b = selectors.proof_bundle(name, index)
    except DomainError as exc:
        return _error(exc)
    response = HttpResponse(b.data, content_type=TEXT)
    response["Content-Disposition"] = f'attachment; filename="{name}-{index}.tlog-proof"'
    return response


@public("信任策略只含公钥与法定数，供离线验证")
@require_GET
def policy(request: HttpRequest) -> HttpResponse:
    return HttpResponse(selectors.trust_policy().to_text(), content_type=TEXT)


@public("见证协议由检查点签名本身认证（c2sp.org/tlog-witness），无需登录")
@csrf_exempt
@require_POST
def witness_add_checkpoint(request: HttpRequest, slug: str) -> HttpResponse:
    body = request.body
    if len(body) > MAX_WITNESS_BODY:
        return HttpResponse("request too large\n", status=413, content_type=TEXT)
    reply = services.witness_add_checkpoint(slug, body)
    return HttpResponse(reply.body, status=reply.status, content_type=reply.content_type)


@public("c2sp.org/tlog-tiles 只读瓦片：公开的默克尔树哈希与加盐摘要条目，供镜像与核验")
@require_GET
def tile(request: HttpRequest, name: str, path: str) -> HttpResponse:
    parsed = selectors.parse_tile_path(path)
    if parsed is None:
        return HttpResponse("not a tile path\n", status=404, content_type=TEXT)
    level, n, width = parsed
    try:
        log = services.get_log(name)
        data = selectors.entry_tile(log, n, width) if level < 0 else selectors.hash_tile(log, level, n, width)
    except DomainError as exc:
        return _error(exc)
    if data is None:
        return HttpResponse("no such tile yet\n", status=404, content_type=TEXT)
    response = HttpResponse(data, content_type="application/octet-stream")
    full = width == selectors.TILE_WIDTH
    response["Cache-Control"] = "public, max-age=31536000, immutable" if full else "public, max-age=60"
    return response
