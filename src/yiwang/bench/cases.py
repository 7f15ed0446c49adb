"""`yiwang bench cases`: 办件 submissions and transitions.

Figures:
- `submissions_per_s`, `submit_p50_ms`, `submit_p95_ms`: `POST /api/v1/cases` end to end over HTTP
  (gunicorn, bearer tokens of several citizens, keep-alive client processes each keeping `connections`
  requests in flight): validation, the case,
  its first work item, clock, history, audit, outbox event and notification. Goals ≥ 300/s, p95 < 50 ms.
- `service_submissions_per_s`: the same through `services.case_submit` in process (no HTTP).
- `transitions_per_s`, `transition_p50_ms`, `transition_p95_ms`: `services.task_act` accept → approve →
  decide on the cases just submitted, a third of the calls each (the decision also appends to the
  transparency ledger and runs the certificate handler after commit), by `transition_workers`
  processes at once (default: as many as the HTTP server's workers), each on its own cases, counted
  over the wall-clock time from their common start to the last one's end. Goal ≥ 500/s.
  `transitions_per_s_one_process` is the same work in one process.
- `reference_inserts_per_s`: the yardstick the goals were set against, a bare Django view inserting
  one row (`yiwang.bench.reference`), served and loaded like the submissions on this machine, in
  turns with them (`rounds` each) so that both meet the same moments of a shared machine. The issue
  measured about 1,900/s on its machine; `machine_speed_vs_reference` is this machine's figure divided
  by that. `submissions_per_s_at_reference_speed` is the median over the rounds of submissions per
  reference insert, times 1,900; `transitions_per_s_at_reference_speed` divides `transitions_per_s` by
  the machine speed (rougher: the transitions run at another moment).

Everything runs on a throw-away SQLite database in a temporary folder; with `--database postgres` the
PostgreSQL database named by DATABASE_URL is migrated and used (the bench's rows stay there).

Options (key=value): duration=10 (seconds of HTTP load of each server, over `rounds` turns), rounds=5,
clients=2, connections=2 (requests each client keeps in flight), workers=2, threads=1,
warmup=1, service=200 (in-process submissions), transitions=600 (task_act calls per worker),
transition_workers=<workers>, reference=1 (0 skips the reference view).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from yiwang.bench import httpload, reference
from yiwang.bench.httpload import percentile_ms

CHILD_FLAG = "YIWANG_BENCH_CASES_CHILD"
ITEM = "QR03004000"  # 市内户口迁移: 受理 → 审查 → 决定, no uploads
PATH = "/api/v1/cases"
# The yardstick: a bare Django insert view answers about 1,900 requests/s on its machine.
REFERENCE_INSERTS_PER_S = 1900


def _form(id_number: str) -> dict[str, str]:
    return {"applicant_name": "基准测试", "applicant_id_number": id_number, "phone": "13800009999",
            "new_address": "示范市东湖区湖滨街道幸福社区3栋201"}


# --- child: database, people, tokens; in-process figures ----------------------------------------------


def _setup(clients: int) -> dict[str, Any]:
    import secrets
    from datetime import date, timedelta

    from django.core.management import call_command
    from django.utils import timezone
    from oauth2_provider.models import AccessToken, Application, set_token_value

    from yiwang.identity import services as identity
    from yiwang.identity.models import Organisation, Region
    from yiwang.kernel.context import Actor, acting_as
    from yiwang.kernel.validators import make_credit_code, make_id_number

    call_command("migrate", interactive=False, verbosity=0, skip_checks=True)
    tag = secrets.token_hex(3)
    password = secrets.token_urlsafe(16)
    with acting_as(Actor(label="bench cases")):
        if not Organisation.objects.filter(short_name="政务服务中心").exists():
            from yiwang.demo import catalog_data
            from yiwang.demo.city import DEPARTMENTS

            identity.ensure_roles([("window_clerk", "窗口受理人员", True), ("approver", "审批人员", False),
                                   ("supervisor", "科室负责人", True)])
            city = Region.objects.create(code="990100000000", name="示范市", level=Region.Level.CITY)
            for n, (short, full) in enumerate(DEPARTMENTS):
                Organisation.objects.create(code=make_credit_code("1", "1", "990100", f"MC{n:07d}"), name=full,
                                            short_name=short, kind=Organisation.Kind.DEPARTMENT, region=city)
            Organisation.objects.create(code=make_credit_code("1", "2", "990100", "MD0000001"), name="示范市政务服务中心",
                                        short_name="政务服务中心", kind=Organisation.Kind.SERVICE_CENTER, region=city)
            catalog_data.build(1)
        centre = Organisation.objects.get(short_name="政务服务中心")
        police = Organisation.objects.get(short_name="公安局")
        for username, org, roles in ((f"bench-clerk-{tag}", centre, ["window_clerk"]),
                                     (f"bench-appr-{tag}", police, ["approver"]),
                                     (f"bench-head-{tag}", police, ["supervisor", "approver"])):
            identity.staff_create(username=username, display_name=username, organisation=org,
                                  employee_no=username[-14:], roles=roles, password=password)
        app, _secret = identity.client_register(name=f"bench-cases-{tag}", grant=Application.GRANT_AUTHORIZATION_CODE,
                                                scopes=["openid", "profile", "cases:write"],
                                                redirect_uris="http://127.0.0.1:8765/callback")
        tokens, ids = [], []
        for n in range(clients + 1):
            idn = make_id_number("330106", date(1980, 1, 1) + timedelta(days=int(tag, 16) % 5000 + n), 11 + 2 * n)
            person = identity.person_register(real_name=f"测试{n}", id_number=idn, phone=f"139{int(tag, 16) % 10**4:04d}{n:04d}",
                                              password=password)
            raw = secrets.token_urlsafe(32)
            token = AccessToken(user=person.user, application=app, scope="openid profile cases:write",
                                expires=timezone.now() + timedelta(hours=2))
            set_token_value(token, raw)
            token.save()
            tokens.append(raw)
            ids.append(idn)
    from yiwang.catalog import selectors as catalog_selectors

    version = catalog_selectors.current_version(ITEM)
    return {"tag": tag, "tokens": tokens, "ids": ids, "version": str(version.pk) if version else None}


def _service_figures(prep: dict[str, Any], n_submit: int) -> dict[str, Any]:
    from yiwang.cases import services
    from yiwang.identity import selectors as identity_selectors
    from yiwang.kernel.context import Actor, acting_as

    person = identity_selectors.person_by_id_number(prep["ids"][-1])  # the one not used over HTTP
    assert person is not None and person.user is not None
    applicant = services.Applicant(ref=person.subject_ref, name=person.real_name, user=person.user)
    form = _form(prep["ids"][-1])
    times: list[float] = []
    with acting_as(Actor(user_id=person.user_id, label=person.real_name)):
        for _ in range(min(20, n_submit)):  # warm the caches
            services.case_submit(applicant=applicant, item_code=ITEM, form=form)
        start = time.perf_counter()
        for _ in range(n_submit):
            t = time.perf_counter()
            services.case_submit(applicant=applicant, item_code=ITEM, version_id=prep["version"], form=form)
            times.append(time.perf_counter() - t)
        submit_total = time.perf_counter() - start
    return {
        "service_submissions": n_submit,
        "service_submissions_per_s": round(n_submit / submit_total, 1) if submit_total else 0.0,
        "service_submit_p50_ms": percentile_ms(times, 50), "service_submit_p95_ms": percentile_ms(times, 95),
    }


def _transitions(prep: dict[str, Any], n_transitions: int, part: int, parts: int, start_at: float) -> dict[str, Any]:
    """One worker's share: the cases whose id falls in its part walk 受理 → 审查 → 决定 in waves (each
    wave acts on every open item of its cases; the next wave's items are read between waves, outside
    the timed part). Starts at the wall-clock `start_at` so that parallel workers overlap."""
    from yiwang.cases import services
    from yiwang.cases.models import Case, WorkItem
    from yiwang.identity.models import User
    from yiwang.kernel.context import Actor, acting_as

    tag = prep["tag"]
    users = {role: User.objects.get(username=f"bench-{role}-{tag}") for role in ("clerk", "appr", "head")}
    by_role = {"window_clerk": users["clerk"], "approver": users["appr"], "supervisor": users["head"]}
    action = {"intake": "accept", "task": "approve", "decision": "decide_approve"}
    n_cases = max(1, n_transitions // 3)
    candidates = WorkItem.objects.filter(status="open", step_kind="intake", case__item_code=ITEM,
                                         case__status=Case.Status.SUBMITTED).values_list(
        "pk", "role", "step_kind", "case_id")
    wave = [(pk, role, kind) for pk, role, kind, case_id in candidates if case_id.int % parts == part][:n_cases]
    t_times: list[float] = []
    calls = 0
    t_total = 0.0
    time.sleep(max(0.0, start_at - time.time()))
    began = time.time()
    while wave and calls < n_transitions:
        moved = []
        start = time.perf_counter()
        for pk, role, kind in wave[: n_transitions - calls]:
            user = by_role[role]
            t = time.perf_counter()
            with acting_as(Actor(user_id=user.pk, label=user.username)):
                case = services.task_act(work_item_id=pk, user=user, action=action[kind])
            t_times.append(time.perf_counter() - t)
            calls += 1
            if not case.is_final:
                moved.append(case.pk)
        t_total += time.perf_counter() - start
        wave = list(WorkItem.objects.filter(case_id__in=moved, status="open").values_list("pk", "role", "step_kind"))
    return {"calls": calls, "busy_s": t_total, "began": began, "ended": time.time(), "times": t_times}


def _run_transitions(env: dict[str, str], prep: dict[str, Any], n_transitions: int, parts: int) -> list[dict[str, Any]]:
    start_at = time.time() + 4.0  # every worker has set Django up by then
    procs = [subprocess.Popen([sys.executable, "-m", "yiwang.bench.cases", "transitions", json.dumps(prep),
                               str(n_transitions), str(i), str(parts), str(start_at)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(parts)]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=900)
        if p.returncode != 0:
            raise RuntimeError(stderr[-2000:])
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


def _transition_figures(env: dict[str, str], prep: dict[str, Any], n_transitions: int, parts: int) -> dict[str, Any]:
    """`transitions_per_s`: `parts` worker processes at once (like the HTTP server's workers), counted
    over the wall-clock time from the common start to the last worker's end; and the same work in one
    process (`transitions_per_s_one_process`)."""
    one = _run_transitions(env, prep, n_transitions, 1)[0]
    many = _run_transitions(env, prep, n_transitions, parts)
    calls = sum(r["calls"] for r in many)
    wall = max(r["ended"] for r in many) - min(r["began"] for r in many)
    t_times = [t for r in many for t in r["times"]]
    return {
        "transitions": calls, "transition_workers": parts,
        "transitions_per_s": round(calls / wall, 1) if wall else 0.0,
        "transition_p50_ms": percentile_ms(t_times, 50), "transition_p95_ms": percentile_ms(t_times, 95),
        "transition_mean_ms": round(statistics.fmean(t_times) * 1000, 2) if t_times else 0.0,
        "transitions_per_s_one_process": round(one["calls"] / one["busy_s"], 1) if one["busy_s"] else 0.0,
        "transition_mean_ms_one_process": round(statistics.fmean(one["times"]) * 1000, 2) if one["times"] else 0.0,
    }


# --- HTTP load ------------------------------------------------------------------------------------------


def _http_load(env: dict[str, str], prep: dict[str, Any], *, workers: int, threads: int, clients: int,
               duration: float, warmup: float, rounds: int, connections: int,
               with_reference: bool) -> dict[str, Any]:
    """Submissions over HTTP; with the reference view, the two servers run side by side and are
    loaded in turn, `rounds` times each, so that both see the same moments of a noisy machine."""
    ready = ("GET", PATH, {"Authorization": f"Bearer {prep['tokens'][0]}"})
    with contextlib.ExitStack() as stack:
        port = stack.enter_context(httpload.gunicorn("yiwang.wsgi:application", env, ready=ready, workers=workers,
                                                     threads=threads, log_dir=env["YIWANG_HOME"]))
        requests = []
        for i in range(clients):
            # As the catalogue's 在线办理 link does: the item and the version the applicant read.
            body = json.dumps({"item": ITEM, "version": prep["version"], "form": _form(prep["ids"][i])},
                              ensure_ascii=False).encode()
            requests.append(httpload.build_request(port, "POST", PATH, {
                "Authorization": f"Bearer {prep['tokens'][i]}", "Content-Type": "application/json"}, body))
        ref_port = None
        if with_reference:
            ref_home = os.path.join(env["YIWANG_HOME"], "reference")
            os.makedirs(ref_home, exist_ok=True)
            ref_env = reference.prepare({**env, "YIWANG_HOME": ref_home})
            ref_port = stack.enter_context(reference.server(ref_env, workers=workers, threads=threads))
        subs = httpload.LoadResult(duration=0.0)
        refs = httpload.LoadResult(duration=0.0)
        ratios: list[float] = []
        per_round: dict[str, list[float]] = {"submissions": [], "reference": []}
        for n in range(rounds):
            lead_in = warmup if n == 0 else 0.2
            sub = httpload.load(port, requests, expect=201, duration=duration / rounds, warmup=lead_in,
                                connections=connections)
            subs.add(sub)
            per_round["submissions"].append(sub.per_s)
            if ref_port is not None:
                ref = httpload.load(ref_port, [reference.request(ref_port)] * clients, expect=201,
                                    duration=duration / rounds, warmup=lead_in, connections=connections)
                refs.add(ref)
                per_round["reference"].append(ref.per_s)
                if ref.per_s:
                    ratios.append(sub.per_s / ref.per_s)
    figures: dict[str, Any] = {
        "submissions_per_s": subs.per_s, "submissions": subs.ok, "http_errors": subs.errors,
        "http_error_statuses": subs.statuses, "submit_p50_ms": subs.pct_ms(50), "submit_p95_ms": subs.pct_ms(95),
        "submit_p99_ms": subs.pct_ms(99), "rounds": rounds, "connections_per_client": connections,
        "submissions_per_s_by_round": per_round["submissions"]}
    if ref_port is not None:
        figures.update({"reference_inserts_per_s": refs.per_s, "reference_insert_p95_ms": refs.pct_ms(95),
                        "reference_errors": refs.errors, "reference_inserts_per_s_by_round": per_round["reference"],
                        "machine_speed_vs_reference": round(refs.per_s / REFERENCE_INSERTS_PER_S, 2)})
        if ratios:
            figures["submissions_per_s_at_reference_speed"] = round(
                statistics.median(ratios) * REFERENCE_INSERTS_PER_S, 1)
    return figures


def run(options: dict[str, str]) -> dict[str, Any]:
    duration = float(options.get("duration", "10"))
    clients = int(options.get("clients", "2"))
    workers = int(options.get("workers", "2"))
    threads = int(options.get("threads", "1"))
    warmup = float(options.get("warmup", "1"))
    home = tempfile.mkdtemp(prefix="yiwang-bench-cases-")
    env = {**os.environ, "YIWANG_HOME": home, "YIWANG_FAST_HASHER": "1", "DJANGO_SETTINGS_MODULE": "yiwang.settings",
           "YIWANG_DEBUG": "0", "YIWANG_LOG_LEVEL": "ERROR", "PYTHONUNBUFFERED": "1", CHILD_FLAG: "1"}
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        env.pop("DATABASE_URL", None)
    try:
        setup = subprocess.run([sys.executable, "-m", "yiwang.bench.cases", "setup", str(clients)], env=env,
                               capture_output=True, text=True, timeout=900)
        if setup.returncode != 0:
            return {"error": (setup.stderr or setup.stdout)[-2000:]}
        prep = json.loads(setup.stdout.strip().splitlines()[-1])
        figures: dict[str, Any] = _http_load(env, prep, workers=workers, threads=threads, clients=clients,
                                             duration=duration, warmup=warmup,
                                             rounds=int(options.get("rounds", "5")),
                                             connections=int(options.get("connections", "2")),
                                             with_reference=options.get("reference", "1") != "0")
        service = subprocess.run([sys.executable, "-m", "yiwang.bench.cases", "service", json.dumps(prep),
                                  options.get("service", "200")],
                                 env=env, capture_output=True, text=True, timeout=900)
        if service.returncode != 0:
            figures["service_error"] = (service.stderr or service.stdout)[-2000:]
        else:
            figures.update(json.loads(service.stdout.strip().splitlines()[-1]))
        try:
            figures.update(_transition_figures(env, prep, int(options.get("transitions", "600")),
                                               int(options.get("transition_workers", str(workers)))))
        except RuntimeError as exc:
            figures["transitions_error"] = str(exc)
        if figures.get("machine_speed_vs_reference") and "transitions_per_s" in figures:
            figures["transitions_per_s_at_reference_speed"] = round(
                figures["transitions_per_s"] / figures["machine_speed_vs_reference"], 1)
        figures.update({"goal_submissions_per_s": 300, "goal_submit_p95_ms": 50, "goal_transitions_per_s": 500,
                        "database": "postgresql" if "DATABASE_URL" in env else "sqlite", "workers": workers,
                        "threads": threads, "clients": clients, "duration_s": duration, "cpus": os.cpu_count() or 0,
                        "load_average": [round(x, 2) for x in os.getloadavg()], "endpoint": f"POST {PATH}"})
        return figures
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    if os.environ.get(CHILD_FLAG) != "1":
        raise SystemExit("run through `yiwang bench cases`")
    import django

    django.setup()
    if sys.argv[1] == "setup":
        print(json.dumps(_setup(int(sys.argv[2]))))
    elif sys.argv[1] == "service":
        print(json.dumps(_service_figures(json.loads(sys.argv[2]), int(sys.argv[3]))))
    else:
        print(json.dumps(_transitions(json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]),
                                      float(sys.argv[6]))))
