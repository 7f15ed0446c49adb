"""A department system behind HTTP: a REAL local server on 127.0.0.1 in a thread that answers, sleeps
or fails. A slow or failing provider never hangs the gateway; the consumer gets a clear error; the
circuit breaker opens, then closes again after a successful trial call."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from yiwang.exchange import services
from yiwang.exchange.models import AccessLog, Resource
from yiwang.exchange.services import GatewayError

from .conftest import ZHANG_ID, City, grant_for

pytestmark = pytest.mark.django_db


class Behaviour:
    mode = "ok"  # ok | slow | error | missing
    calls = 0


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        Behaviour.calls += 1
        if Behaviour.mode == "slow":
            time.sleep(1.5)
        if Behaviour.mode == "error":
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"internal error")
            return
        if Behaviour.mode == "missing":
            self.send_response(404)
            self.end_headers()
            return
        body = json.dumps({"xm": "张伟", "jczt": "正常缴存", "jcjs": 8900}, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        try:
            self.wfile.write(body)
        except BrokenPipeError:
            pass

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    Behaviour.mode, Behaviour.calls = "ok", 0
    yield f"http://127.0.0.1:{httpd.server_address[1]}/gjj/records"
    httpd.shutdown()
    httpd.server_close()


def _remote(city: City, url: str) -> None:
    Resource.objects.filter(code="C0301001").update(adapter_config={
        "url": url, "timeout_s": 0.3, "retries": 1, "breaker_threshold": 2, "breaker_reset_s": 0.5})
    grant_for(city, "C0301001", ["xm", "jczt", "jcjs"])


def _call(city: City) -> services.CallResult:
    org = city.orgs["公安局"]
    return services.gateway_call(resource_code="C0301001", key=ZHANG_ID, purpose="住房保障资格审核",
                                 consumer_code=org.code, consumer_name=org.name)


def test_remote_answer_is_masked_and_logged(city: City, server: str) -> None:
    _remote(city, server)
    res = _call(city)
    assert res.data == {"xm": "张伟", "jczt": "正常缴存", "jcjs": "******"}
    log = AccessLog.objects.get(call_id=res.call_id)
    assert log.result == "ok" and log.subject_ref == city.zhang.subject_ref
    Behaviour.mode = "missing"
    assert not _call(city).found


def test_timeouts_do_not_hang_and_open_then_close_the_breaker(city: City, server: str) -> None:
    _remote(city, server)
    Behaviour.mode = "slow"
    started = time.monotonic()
    with pytest.raises(GatewayError) as exc:
        _call(city)
    assert time.monotonic() - started < 1.5  # 0.3 s timeout, one retry: well under the server's 1.5 s sleep
    assert exc.value.code == "exchange.provider_unavailable" and exc.value.status == 503
    assert "超时" in exc.value.message
    with pytest.raises(GatewayError):
        _call(city)
    # The breaker is open now: the next call fails at once without reaching the server.
    before = Behaviour.calls
    started = time.monotonic()
    with pytest.raises(GatewayError) as exc:
        _call(city)
    assert exc.value.code == "exchange.provider_circuit_open"
    assert time.monotonic() - started < 0.1 and Behaviour.calls == before
    # After the reset period one trial call goes through; success closes the breaker.
    Behaviour.mode = "ok"
    time.sleep(0.6)
    assert _call(city).found
    assert _call(city).found
    results = list(AccessLog.objects.order_by("id").values_list("result", flat=True))
    assert results == ["error", "error", "error", "ok", "ok"]


def test_server_errors_open_the_breaker_and_a_failed_trial_reopens_it(city: City, server: str) -> None:
    _remote(city, server)
    Behaviour.mode = "error"
    for _ in range(2):
        with pytest.raises(GatewayError) as exc:
            _call(city)
        assert "HTTP 500" in exc.value.message
    with pytest.raises(GatewayError) as exc:
        _call(city)
    assert exc.value.code == "exchange.provider_circuit_open"
    time.sleep(0.6)
    with pytest.raises(GatewayError) as exc:  # half-open trial fails → open again
        _call(city)
    assert exc.value.code == "exchange.provider_unavailable"
    with pytest.raises(GatewayError) as exc:
        _call(city)
    assert exc.value.code == "exchange.provider_circuit_open"


def test_unreachable_provider_is_a_clear_error(city: City) -> None:
    _remote(city, "http://127.0.0.1:9/nothing")
    with pytest.raises(GatewayError) as exc:
        _call(city)
    assert exc.value.code == "exchange.provider_unavailable" and "接口调用失败" in exc.value.message
