"""Login pages (个人 / 法人 / 工作人员), logout, my account, 谁查看了我的信息, the dev SMS page,
and demo one-click persona login. Views parse, authorise, call services and render."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from yiwang.identity import selectors, services
from yiwang.identity.middleware import ACTING_FOR_KEY
from yiwang.identity.models import User
from yiwang.kernel.errors import DomainError, PermissionDenied, RateLimited, ValidationFailed
from yiwang.kernel.permissions import login_required, public
from yiwang.kernel.validators import validate_credit_code, validate_mobile

PENDING_KEY = "pending_login"


def _client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")[:64]


def _safe_next(request: HttpRequest, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    return target if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) else default


def _home_for(user: User) -> str:
    return "/workbench/" if "staff" in user.role_names() else "/me/"


def _demo_personas() -> list[dict[str, str]]:
    if not settings.DEMO_MODE:
        return []
    from yiwang.demo.personas import PERSONAS  # demo data only exists in demo mode

    existing = set(User.objects.filter(username__in=[p["username"] for p in PERSONAS]).values_list("username", flat=True))
    return [p for p in PERSONAS if p["username"] in existing]


@public("登录页面，所有人可访问")
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    tab = request.POST.get("tab") or request.GET.get("tab") or "person"
    if tab not in {"person", "enterprise", "staff"}:
        tab = "person"
    error, status = "", 200
    if request.method == "POST":
        username = (request.POST.get("username") or "").strip()
        password = request.POST.get("password") or ""
        address = _client_address(request)
        try:
            services.login_check_allowed(username=username, address=address)
            user = authenticate(request, username=username, password=password)
            if user is None or tab == "staff":
                # Citizens and enterprises finish (and clear their failure streak) at the SMS step.
                services.login_record(username=username, address=address, success=user is not None)
            if user is None:
                error = "账号或密码不正确"
            elif tab == "staff":
                if "staff" not in user.role_names():
                    error = "该账号不是工作人员账号，请使用个人或法人登录"
                else:
                    login(request, user)
                    return redirect(_safe_next(request, "/workbench/"))
            else:
                enterprise_id = ""
                if tab == "enterprise":
                    enterprise_id = _enterprise_for_login(user, request.POST.get("credit_code", ""))
                person = selectors.person_for_user(user)
                if person is None or not person.phone_enc:
                    error = "该账号未绑定手机号，无法发送验证码"
                else:
                    from yiwang.kernel.crypto import decrypt_field

                    try:
                        services.otp_send(phone=decrypt_field(person.phone_enc))
                    except RateLimited as exc:
                        # A code sent less than a minute ago is still valid: go on to enter it.
                        if exc.code != "identity.otp_too_soon":
                            raise
                    request.session[PENDING_KEY] = {"user": user.pk, "acting_for": enterprise_id,
                                                    "next": _safe_next(request, "/me/")}
                    return redirect("identity:login_otp")
        except DomainError as exc:
            error, status = exc.message, exc.status
    return render(request, "identity/login.html", {
        "tab": tab, "error": error, "personas": _demo_personas(), "next": _safe_next(request, ""),
    }, status=status if status != 200 else (400 if error else 200))


def _enterprise_for_login(user: User, credit_code: str) -> str:
    try:
        credit_code = validate_credit_code(credit_code or "")
    except ValueError as exc:
        raise ValidationFailed("identity.invalid_credit_code", str(exc), "credit_code") from None
    person = selectors.person_for_user(user)
    ent = selectors.enterprise_by_credit_code(credit_code)
    if person is None or ent is None or ent not in selectors.enterprises_for_person(person):
        raise PermissionDenied("identity.not_enterprise_operator", "您不是该企业的法定代表人或授权经办人",
                               "credit_code")
    return f"enterprise:{ent.pk}"


@public("短信验证码登录的第二步，凭会话中的待登录状态")
@require_http_methods(["GET", "POST"])
def login_otp_view(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING_KEY)
    if not pending:
        return redirect("identity:login")
    error, status = "", 200
    user = User.objects.filter(pk=pending["user"]).first()
    person = selectors.person_for_user(user) if user else None
    if request.method == "POST" and user is not None and person is not None:
        from yiwang.kernel.crypto import decrypt_field

        address = _client_address(request)
        try:
            services.login_check_allowed(username=user.username, address=address)
            ok = services.otp_verify(phone=decrypt_field(person.phone_enc), code=request.POST.get("code", ""))
            services.login_record(username=user.username, address=address, success=ok)
            if ok:
                del request.session[PENDING_KEY]
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                request.session["acting_for"] = pending.get("acting_for", "")
                return redirect(pending.get("next") or "/me/")
            error, status = "验证码不正确或已过期", 400
        except DomainError as exc:
            error, status = exc.message, exc.status
    return render(request, "identity/login_otp.html", {
        "error": error, "phone": person.phone_masked if person else "",
        "show_dev_link": settings.DEMO_MODE,
    }, status=status)


@public("演示模式下的一键登录；非演示模式返回404")
@require_POST
def demo_login_view(request: HttpRequest) -> HttpResponse:
    if not settings.DEMO_MODE:
        raise Http404
    username = request.POST.get("username", "")
    personas = {p["username"]: p for p in _demo_personas()}
    if username not in personas:
        raise Http404
    user = User.objects.get(username=username)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    acting_for = ""
    if personas[username].get("acting_for_enterprise"):
        person = selectors.person_for_user(user)
        ents = selectors.enterprises_for_person(person) if person else []
        acting_for = f"enterprise:{ents[0].pk}" if ents else ""
    request.session["acting_for"] = acting_for
    return redirect(_home_for(user))


@public("退出登录对任何人都是安全的")
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("/")


@login_required
def me_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    person = selectors.person_for_user(user)
    staff = selectors.staff_for_user(user)
    reveal: dict[str, str] = {}
    if person is not None and request.GET.get("show") == "full":
        reveal = services.person_reveal(viewer=user, person=person)
    enterprises = selectors.enterprises_for_person(person) if person else []
    return render(request, "identity/me.html", {
        "person": person, "staff": staff, "reveal": reveal, "enterprises": enterprises,
        "acting_for": request.session.get("acting_for", ""),
        "delegations_given": selectors.delegations_given(person)[:20] if person else [],
        "delegations_received": selectors.delegations_received(user)[:20],
    })


@login_required
def my_data_reads_view(request: HttpRequest) -> HttpResponse:
    person = selectors.person_for_user(request.user)  # type: ignore[arg-type]
    reads = selectors.personal_data_reads(person) if person else []
    return render(request, "identity/data_reads.html", {"person": person, "reads": reads})


@public("开发用短信发件箱，仅演示模式可用；非演示模式返回404")
def dev_sms_view(request: HttpRequest) -> HttpResponse:
    if not settings.DEMO_MODE:
        raise Http404
    from yiwang.identity.models import SmsMessage

    return render(request, "identity/dev_sms.html", {"messages_": SmsMessage.objects.all()[:50]})


# --- 帮办代办: grant, revoke, act for ------------------------------------------------------------


def _parse_until(raw: str) -> datetime:
    try:
        day = date.fromisoformat((raw or "").strip())
    except ValueError:
        raise ValidationFailed("identity.invalid_period", "请填写正确的截止日期（年-月-日）", "valid_until") from None
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))


def _agent_from_form(phone: str, employee_no: str) -> User:
    """The agent of a delegation: a registered person by phone number, or a staff member (帮办员) by 工号."""
    if (employee_no or "").strip():
        staff = selectors.staff_by_employee_no(employee_no.strip()[:20])
        if staff is None:
            raise ValidationFailed("identity.agent_not_found", "没有该工号的在岗工作人员", "agent_employee_no")
        return staff.user
    try:
        phone = validate_mobile(phone)
    except ValueError as exc:
        raise ValidationFailed("identity.invalid_phone", str(exc), "agent_phone") from None
    agent = selectors.user_for_phone(phone)
    if agent is None:
        raise ValidationFailed("identity.agent_not_found", "该手机号没有注册账号", "agent_phone")
    return agent


@login_required
@require_http_methods(["GET", "POST"])
def delegations_view(request: HttpRequest) -> HttpResponse:
    """My delegations: grant one to another person (by phone number), revoke, act for those who
    authorised me."""
    user: User = request.user  # type: ignore[assignment]
    person = selectors.person_for_user(user)
    error = ""
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "grant":
                if person is None:
                    raise ValidationFailed("identity.not_a_person", "只有实名登记的居民可以授权他人代办", None)
                agent = _agent_from_form(request.POST.get("agent_phone", ""),
                                         request.POST.get("agent_employee_no", ""))
                services.delegation_grant(
                    principal=person, agent=agent,
                    scopes=services.validate_scopes(request.POST.getlist("scopes")),
                    valid_from=timezone.now(), valid_until=_parse_until(request.POST.get("valid_until", "")),
                    reason=(request.POST.get("reason") or "")[:200],
                )
                return redirect("identity:delegations")
            if action == "revoke":
                d = selectors.delegation_by_id(request.POST.get("delegation", ""))
                if d is None:
                    raise Http404
                services.delegation_revoke(delegation=d, by=user)
                return redirect("identity:delegations")
            raise ValidationFailed("identity.invalid_action", "未知操作", "action")
        except DomainError as exc:
            error, status = exc.message, exc.status
    return render(request, "identity/delegations.html", {
        "person": person, "error": error, "scopes": services.DELEGATION_SCOPES,
        "given": selectors.delegations_given(person)[:50] if person else [],
        "principals": selectors.principals_for_agent(user),
        "received": selectors.delegations_received(user)[:50],
        "acting_for": request.session.get(ACTING_FOR_KEY, ""),
        "default_until": (timezone.localdate() + timedelta(days=90)).isoformat(),
    }, status=status)


@login_required
@require_POST
def acting_for_view(request: HttpRequest) -> HttpResponse:
    """Switch whom I act for ("" = myself). Every action afterwards records both of us."""
    ref = request.POST.get("acting_for", "")
    if not ref:
        request.session[ACTING_FOR_KEY] = ""
        return redirect(_safe_next(request, "/me/"))
    try:
        request.session[ACTING_FOR_KEY] = services.acting_for_start(user=request.user, ref=ref)  # type: ignore[arg-type]
    except DomainError as exc:
        return render(request, "identity/error.html", {"error": exc.message}, status=exc.status)
    return redirect(_safe_next(request, "/me/"))


@login_required
@require_http_methods(["GET", "POST"])
def mandates_view(request: HttpRequest, enterprise_id: uuid.UUID) -> HttpResponse:
    """The legal representative grants employees the right to act for the enterprise."""
    user: User = request.user  # type: ignore[assignment]
    person = selectors.person_for_user(user)
    ent = selectors.enterprise_by_id(str(enterprise_id))
    if ent is None or person is None or ent.legal_rep_id != person.pk:
        raise Http404
    error, status = "", 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "revoke":
                m = selectors.mandate_by_id(ent, request.POST.get("mandate", ""))
                if m is None:
                    raise Http404
                services.mandate_revoke(mandate=m, by=person)
            else:
                try:
                    phone = validate_mobile(request.POST.get("person_phone", ""))
                except ValueError as exc:
                    raise ValidationFailed("identity.invalid_phone", str(exc), "person_phone") from None
                employee = selectors.person_by_phone(phone)
                if employee is None:
                    raise ValidationFailed("identity.person_not_found", "该手机号没有实名登记", "person_phone")
                services.mandate_grant(
                    enterprise=ent, granted_by=person, person=employee,
                    scopes=services.validate_scopes(request.POST.getlist("scopes")),
                    valid_from=timezone.now(), valid_until=_parse_until(request.POST.get("valid_until", "")))
            return redirect("identity:mandates", enterprise_id=str(ent.pk))
        except DomainError as exc:
            error, status = exc.message, exc.status
    return render(request, "identity/mandates.html", {
        "enterprise": ent, "mandates": selectors.mandates_for_enterprise(ent).order_by("-valid_from")[:100],
        "error": error, "scopes": services.DELEGATION_SCOPES,
        "default_until": (timezone.localdate() + timedelta(days=365)).isoformat(),
    }, status=status)
