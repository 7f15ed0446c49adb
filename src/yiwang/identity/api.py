"""Identity API: who am I, identifier checks, the region tree."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from yiwang.identity import selectors
from yiwang.identity.auth import session_or_bearer
from yiwang.identity.models import Region, User
from yiwang.identity.schemas import IdentifierCheckIn, IdentifierCheckOut, MeOut, RegionOut
from yiwang.kernel.errors import Unauthenticated
from yiwang.kernel.permissions import public

router = Router(tags=["统一身份认证"])


@router.get("/me", response=MeOut, auth=session_or_bearer("openid"))
def me(request: HttpRequest) -> MeOut:
    """The caller's own account, personal data masked."""
    user = request.user if request.user.is_authenticated else None
    info = getattr(request, "token_info", None)
    if user is None and info is not None and info.user_id:
        user = User.objects.filter(pk=info.user_id).first()
    if user is None:
        raise Unauthenticated("auth.no_user", "该令牌不代表任何用户（客户端凭证令牌）", None)
    person = selectors.person_for_user(user)
    staff = selectors.staff_for_user(user)
    return MeOut(
        username=user.username, display_name=str(user), kind=user.kind, roles=sorted(user.role_names()),
        elderly_mode=user.elderly_mode,
        id_number=person.id_number_masked if person else None,
        phone=person.phone_masked if person else None,
        assurance_level=person.assurance_level if person else None,
        organisation=staff.organisation.name if staff else None,
    )


@router.post("/check-identifiers", response=IdentifierCheckOut, auth=None)
@public("校验身份证号、统一社会信用代码、手机号的格式，不查询任何数据")
def check_identifiers(request: HttpRequest, payload: IdentifierCheckIn) -> IdentifierCheckOut:
    """Validate identifiers (GB 11643, GB 32100, mobile); 422 with the field and a Chinese message if bad."""
    return IdentifierCheckOut(valid=True, normalised={k: v for k, v in payload.dict().items() if v})


@router.get("/regions", response=list[RegionOut], auth=None)
@public("行政区划是公开信息")
def regions(request: HttpRequest, level: int | None = None) -> list[RegionOut]:
    qs = Region.objects.select_related("parent").order_by("code")
    if level is not None:
        qs = qs.filter(level=level)
    return [RegionOut(code=r.code, name=r.name, level=r.level, parent=r.parent.code if r.parent else None)
            for r in qs[:2000]]
