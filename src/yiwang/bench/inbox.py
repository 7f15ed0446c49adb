"""`yiwang bench inbox`: the first page of the staff inbox and of 我的办件 over a million cases.

Figures:
- `inbox_p95_ms` (and p50): `GET /api/v1/cases/workbench/inbox?tab=todo` with an approver's bearer token;
- `my_cases_p95_ms` (and p50): `GET /api/v1/cases` with the token of a citizen who has thousands of cases;
- `query_plans`: EXPLAIN (QUERY PLAN) of every SELECT the two selectors run, to show the indexes used.
Goal: < 100 ms each at 1,000,000 cases.

The fixture is filled with bulk inserts (a benchmark fixture, not demo data: no services, no history):
`cases` cases (default 1,000,000) spread over 18 departments, 120 days and 20,000 applicants, one work
item each (open for the ~25 % still running, done otherwise). Filling takes a few minutes, so
`keep=DIR` keeps the data folder and a later run with the same `keep=DIR` reuses it.

Options (key=value): cases=1000000, requests=200 (per endpoint), keep=DIR, workers=1.
With `--database postgres` the PostgreSQL database named by DATABASE_URL is filled (once: a marker row
in that database says it is filled) and used.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from yiwang.bench import httpload
from yiwang.bench.httpload import percentile_ms

CHILD_FLAG = "YIWANG_BENCH_INBOX_CHILD"
MARKER = "bench-inbox-filled"
ITEMS = [("QR03004000", "市内户口迁移"), ("GG06001000", "出生医学证明首次签发"), ("GG05001000", "城乡居民基本医疗保险参保登记"),
         ("XK01006000", "食品经营许可"), ("GG03002000", "居民身份证申领"), ("GF07003000", "高龄津贴申领")]


# --- child: fill -----------------------------------------------------------------------------------------


def _fill(n_cases: int) -> dict[str, Any]:
    import secrets

    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone
    from oauth2_provider.models import AccessToken, Application, set_token_value

    from yiwang.cases.models import Case, WorkItem
    from yiwang.demo.city import DEPARTMENTS
    from yiwang.identity import services as identity
    from yiwang.identity.models import Organisation, Person, Region, User
    from yiwang.kernel.context import Actor, acting_as
    from yiwang.kernel.validators import make_credit_code, make_id_number

    call_command("migrate", interactive=False, verbosity=0, skip_checks=True)
    started = time.perf_counter()
    filled = Case.objects.filter(number=f"{MARKER}").exists()
    if not filled:
        with acting_as(Actor(label="bench inbox")):
            identity.ensure_roles([("window_clerk", "窗口受理人员", True), ("approver", "审批人员", False),
                                   ("supervisor", "科室负责人", True)])
            city = Region.objects.create(code="990100000000", name="示范市", level=Region.Level.CITY)
            for n, (short, full) in enumerate(DEPARTMENTS):
                org = Organisation.objects.create(code=make_credit_code("1", "1", "990100", f"MC{n:07d}"), name=full,
                                                  short_name=short, kind=Organisation.Kind.DEPARTMENT, region=city)
                identity.staff_create(username=f"bench-appr-{n}", display_name=f"{short}审批员", organisation=org,
                                      employee_no=f"BA{n:05d}", roles=["approver"], password=secrets.token_urlsafe(12))
            identity.person_register(real_name="基准张伟", id_number=make_id_number("330106", date(1990, 1, 1), 11),
                                     phone="13900000001", password=secrets.token_urlsafe(12))
        _bulk(n_cases)
    orgs = {o.short_name: o for o in Organisation.objects.all()}
    police = orgs["公安局"]
    staff_user = User.objects.get(username=f"bench-appr-{[s for s, _ in DEPARTMENTS].index('公安局')}")
    person = Person.objects.select_related("user").get(real_name="基准张伟")
    app, _ = Application.objects.get_or_create(
        name="bench-inbox", defaults={"client_type": Application.CLIENT_CONFIDENTIAL,
                                      "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
                                      "redirect_uris": "http://127.0.0.1:8765/callback"})
    tokens = {}
    for key, user in (("staff", staff_user), ("citizen", person.user)):
        raw = secrets.token_urlsafe(32)
        token = AccessToken(user=user, application=app, scope="openid profile",
                            expires=timezone.now() + timedelta(hours=2))
        set_token_value(token, raw)
        token.save()
        tokens[key] = raw
    fill_s = time.perf_counter() - started
    with transaction.atomic():
        counts = {"cases": Case.objects.count() - 1, "work_items": WorkItem.objects.count(),
                  "open_items_of_the_department": WorkItem.objects.filter(department_code=police.code, role="approver",
                                                                          status="open").count(),
                  "cases_of_the_citizen": Case.objects.filter(applicant_ref=person.subject_ref).count()}
    if filled:
        pass  # analysed after the fill that made it
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE cases_case; ANALYZE cases_workitem")
    return {"tokens": tokens, "reused": filled, "fill_s": round(fill_s, 1), **counts,
            "staff_user": staff_user.pk, "citizen_ref": person.subject_ref, "department": police.code}


def _bulk(n_cases: int) -> None:
    """Raw multi-row inserts in chunks (a fixture: no history, clock or audit rows)."""
    from django.db import connection, transaction

    from yiwang.cases.models import Case, WorkItem
    from yiwang.identity.models import Organisation, Person, Staff

    rng = random.Random(20261123)
    sqlite = connection.vendor == "sqlite"
    orgs = [(o.code, o.name) for o in Organisation.objects.order_by("code")]
    approvers = {s.organisation.code: s.user_id for s in Staff.objects.select_related("organisation")}
    citizen = Person.objects.get(real_name="基准张伟")
    citizen_ref = citizen.subject_ref
    now = datetime.now(UTC)
    case_fields = [f for f in Case._meta.concrete_fields]
    item_fields = [f for f in WorkItem._meta.concrete_fields]

    def insert_sql(model: Any, fields: list[Any]) -> str:
        q = connection.ops.quote_name
        cols = ", ".join(q(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        return f"INSERT INTO {q(model._meta.db_table)} ({cols}) VALUES ({marks})"

    case_sql, item_sql = insert_sql(Case, case_fields), insert_sql(WorkItem, item_fields)
    case_conv = [(f.name, _converter(f)) for f in case_fields]
    item_conv = [(f.name, _converter(f)) for f in item_fields]
    chunk = 5000
    if sqlite:  # a throw-away fixture: a big page cache and no syncing while it fills
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -400000")
            cursor.execute("PRAGMA synchronous = OFF")
    for start in range(0, n_cases, chunk):
        case_rows, item_rows = [], []
        for i in range(start, min(n_cases, start + chunk)):
            pk = uuid.UUID(int=rng.getrandbits(128) | (4 << 76))
            created = now - timedelta(seconds=rng.uniform(60, 120 * 86400))
            code, title = ITEMS[i % len(ITEMS)]
            dept_code, dept_name = orgs[rng.randrange(len(orgs))]
            is_open = rng.random() < 0.25
            status = rng.choice(["submitted", "in_progress", "in_progress", "corrections"]) if is_open else \
                rng.choice(["completed", "completed", "completed", "withdrawn", "not_accepted"])
            due = (created + timedelta(days=rng.randint(5, 40))).date()
            applicant = citizen_ref if i % 200 == 0 else f"person:{uuid.UUID(int=i % 20000 + 1)}"
            values = {
                "id": pk, "number": f"990100{created:%Y%m%d}{i:07d}"[:32], "kind": "item", "parent": None,
                "item_code": code, "item_version_id": None, "bundle_code": "", "title": title, "handling_type": "承诺件",
                "department_code": dept_code, "department_name": dept_name, "definition": None,
                "applicant_ref": applicant, "applicant_name": "基准申请人", "applicant_user": None, "channel": "网上",
                "answers": {}, "form": {}, "prefill_sources": {}, "status": status, "step_code": "review",
                "step_name": "审查", "outcome": "" if is_open else "approved", "outcome_reason": "", "auto_rule": "",
                "visits": 0, "corrections_count": 0, "returns_count": 0, "legal_limit_days": 20,
                "promised_limit_days": 10, "legal_due": due, "promised_due": due, "paused_days": 0,
                "clock_owner": "department" if is_open else "", "escalated_at": None, "engine_state": {},
                "created_at": created, "updated_at": created, "submitted_at": created,
                "accepted_at": created + timedelta(hours=2), "decided_at": None if is_open else created + timedelta(days=3),
                "completed_at": None if is_open else created + timedelta(days=3), "row_version": 1,
            }
            case_rows.append(tuple(conv(values[name]) for name, conv in case_conv))
            opened = created + timedelta(hours=2)
            item = {
                "id": uuid.UUID(int=rng.getrandbits(128) | (4 << 76)), "case": pk, "step_code": "review",
                "step_name": "审查", "step_kind": "task", "department_code": dept_code, "department_name": dept_name,
                "role": "approver", "assignee": None, "delegated_by": None, "sequence": 0,
                "status": "open" if is_open else "done", "action": "" if is_open else "approve", "comment": "",
                "opened_at": opened, "claimed_at": None, "done_at": None if is_open else opened + timedelta(days=2),
                "done_by": None if is_open else approvers.get(dept_code), "due": due, "row_version": 0,
            }
            item_rows.append(tuple(conv(item[name]) for name, conv in item_conv))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(case_sql, case_rows)
            cursor.executemany(item_sql, item_rows)
    # Last, so that an interrupted fill is not taken for a complete one.
    Case.objects.create(number=MARKER, title=MARKER, applicant_ref="bench", applicant_name="bench",
                        status=Case.Status.DRAFT)


def _converter(field: Any) -> Any:
    """value → what the database driver takes for this column (decided once per column)."""
    from django.db import connection

    sqlite = connection.vendor == "sqlite"
    internal = field.get_internal_type()
    target = field.target_field.get_internal_type() if internal == "ForeignKey" else internal

    def same(v: Any) -> Any:
        return v

    if target == "UUIDField" and sqlite:
        return lambda v: v.hex if v is not None else None
    if internal == "DateTimeField" and sqlite:
        return lambda v: v.strftime("%Y-%m-%d %H:%M:%S.%f") if v is not None else None
    if internal == "DateField" and sqlite:
        return lambda v: v.isoformat() if v is not None else None
    if internal == "JSONField":
        return lambda v: json.dumps(v, ensure_ascii=False)
    return same


def _explain() -> dict[str, Any]:
    """The plans of the queries behind both first pages."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from yiwang.cases import selectors
    from yiwang.identity.models import Organisation, Person, User

    police = Organisation.objects.get(short_name="公安局")
    staff_user = User.objects.get(staff__organisation=police)
    person = Person.objects.get(real_name="基准张伟")
    plans: dict[str, list[str]] = {}
    for name, call in (
        ("inbox", lambda: selectors.inbox_page(department_code=police.code, roles={"approver"},
                                               user_id=staff_user.pk, tab="todo")),
        ("my_cases", lambda: selectors.applicant_page([person.subject_ref])),
    ):
        with CaptureQueriesContext(connection) as captured:
            call()
        plans[name] = []
        for q in captured.captured_queries:
            sql = q["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            with connection.cursor() as cursor:
                if connection.vendor == "sqlite":
                    cursor.execute("EXPLAIN QUERY PLAN " + sql)
                    plan = "; ".join(str(r[-1]) for r in cursor.fetchall())
                else:
                    cursor.execute("EXPLAIN " + sql)
                    plan = " | ".join(r[0].strip() for r in cursor.fetchall()[:4])
            plans[name].append(f"{sql[:90]}… → {plan}")
    return {"query_plans": plans}


# --- the parent: HTTP timings ------------------------------------------------------------------------------


def _timed_gets(port: int, path: str, token: str, n: int) -> tuple[list[float], int]:
    conn = httpload.LeanConnection(port, httpload.build_request(port, "GET", path, {"Authorization": f"Bearer {token}"}))
    times: list[float] = []
    errors = 0
    for i in range(n + 10):
        t0 = time.perf_counter()
        status = conn.get()
        if i >= 10:  # the first few warm the worker
            times.append(time.perf_counter() - t0)
            errors += status != 200
    conn.close()
    return times, errors


def run(options: dict[str, str]) -> dict[str, Any]:
    n_cases = int(options.get("cases", "1000000"))
    n_requests = int(options.get("requests", "200"))
    keep = options.get("keep", "")
    home = keep or tempfile.mkdtemp(prefix="yiwang-bench-inbox-")
    os.makedirs(home, exist_ok=True)
    env = {**os.environ, "YIWANG_HOME": home, "YIWANG_FAST_HASHER": "1", "DJANGO_SETTINGS_MODULE": "yiwang.settings",
           "YIWANG_DEBUG": "0", "YIWANG_LOG_LEVEL": "ERROR", "PYTHONUNBUFFERED": "1", CHILD_FLAG: "1"}
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        env.pop("DATABASE_URL", None)
    try:
        fill = subprocess.run([sys.executable, "-m", "yiwang.bench.inbox", "fill", str(n_cases)], env=env,
                              capture_output=True, text=True, timeout=3600)
        if fill.returncode != 0:
            return {"error": (fill.stderr or fill.stdout)[-2000:]}
        prep = json.loads(fill.stdout.strip().splitlines()[-1])
        tokens = prep.pop("tokens")
        ready = ("GET", "/api/v1/cases", {"Authorization": f"Bearer {tokens['citizen']}"})
        with httpload.gunicorn("yiwang.wsgi:application", env, ready=ready, workers=int(options.get("workers", "1")),
                               log_dir=home) as port:
            inbox, inbox_errors = _timed_gets(port, "/api/v1/cases/workbench/inbox?tab=todo", tokens["staff"],
                                              n_requests)
            mine, mine_errors = _timed_gets(port, "/api/v1/cases", tokens["citizen"], n_requests)
        explain = subprocess.run([sys.executable, "-m", "yiwang.bench.inbox", "explain"], env=env,
                                 capture_output=True, text=True, timeout=600)
        figures: dict[str, Any] = {
            "inbox_p50_ms": percentile_ms(inbox, 50), "inbox_p95_ms": percentile_ms(inbox, 95), "inbox_errors": inbox_errors,
            "my_cases_p50_ms": percentile_ms(mine, 50), "my_cases_p95_ms": percentile_ms(mine, 95), "my_cases_errors": mine_errors,
            "requests_per_endpoint": n_requests, "goal_p95_ms": 100, **prep,
            "database": "postgresql" if "DATABASE_URL" in env else "sqlite", "cpus": os.cpu_count() or 0,
            "load_average": [round(x, 2) for x in os.getloadavg()],
        }
        if explain.returncode == 0:
            figures.update(json.loads(explain.stdout.strip().splitlines()[-1]))
        else:
            figures["explain_error"] = explain.stderr[-1000:]
        return figures
    finally:
        if not keep:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    if os.environ.get(CHILD_FLAG) != "1":
        raise SystemExit("run through `yiwang bench inbox`")
    import django

    django.setup()
    if sys.argv[1] == "fill":
        print(json.dumps(_fill(int(sys.argv[2])), ensure_ascii=False))
    else:
        print(json.dumps(_explain(), ensure_ascii=False))
