"""Versioning: drafts are edited, published versions are immutable, effective dates decide which version
is in force, and a case keeps the version it was filed under."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from yiwang.catalog import selectors, services
from yiwang.catalog.models import ItemVersion
from yiwang.demo.catalog_items import ITEMS
from yiwang.kernel.errors import Conflict, ValidationFailed
from yiwang.kernel.models import AuditEntry, OutboxEvent

from .conftest import item_payload

pytestmark = pytest.mark.django_db

BIRTH = next(i for i in ITEMS if i["code"] == "GG06001000")


def _published(on: date = date(2026, 1, 1)) -> ItemVersion:
    v = services.item_create_draft(payload=item_payload(BIRTH))
    return services.item_publish(version_id=v.pk, effective_from=on)


def test_draft_is_editable_and_publish_audits_and_raises_event() -> None:
    v = services.item_create_draft(payload=item_payload(BIRTH))
    assert v.status == ItemVersion.Status.DRAFT and v.version == 1
    v = services.item_update_draft(version_id=v.pk, changes={"promised_limit_days": 1, "visits": 0})
    v = services.item_publish(version_id=v.pk, effective_from=date(2026, 1, 1))
    assert v.status == ItemVersion.Status.PUBLISHED and v.effective_from == date(2026, 1, 1)
    assert AuditEntry.objects.filter(action="catalog.item_published", object_id=str(v.pk)).exists()
    assert OutboxEvent.objects.filter(type="catalog.item_published", subject="GG06001000").exists()


def test_published_version_is_immutable() -> None:
    v = _published()
    with pytest.raises(Conflict) as exc:
        services.item_update_draft(version_id=v.pk, changes={"name": "改名"})
    assert exc.value.code == "catalog.version_immutable"
    # Even bypassing the service, the model refuses to save changed content.
    v.name = "改名"
    with pytest.raises(Conflict):
        v.save()
    v.refresh_from_db()
    assert v.name == BIRTH["name"]
    with pytest.raises(Conflict):
        services.item_publish(version_id=v.pk, effective_from=date(2026, 2, 1))


def test_effective_dates_decide_the_version_in_force() -> None:
    v1 = _published(date(2026, 1, 1))
    v2 = services.item_new_draft(code=v1.item.code)
    assert v2.version == 2 and v2.name == v1.name
    services.item_update_draft(version_id=v2.pk, changes={"fee": "5.00", "fee_basis": "示范市物价局批复（测试）",
                                                          "promised_limit_days": 1})
    services.item_publish(version_id=v2.pk, effective_from=date(2026, 3, 1))
    v1.refresh_from_db()
    assert v1.status == ItemVersion.Status.SUPERSEDED and v1.effective_to == date(2026, 3, 1)
    assert selectors.current_version("GG06001000", date(2026, 2, 28)).version == 1
    assert selectors.current_version("GG06001000", date(2026, 3, 1)).version == 2
    assert selectors.current_version("GG06001000", date(2025, 12, 31)) is None
    assert selectors.current_version("GG06001000", date(2026, 3, 2)).fee == Decimal("5.00")
    # A case filed under v1 still reads v1, unchanged.
    filed = selectors.version_by_id(v1.pk)
    assert filed is not None and filed.version == 1 and filed.fee == Decimal("0.00")


def test_future_effective_date_keeps_current_version_until_then() -> None:
    _published(date(2026, 1, 1))
    v2 = services.item_new_draft(code="GG06001000")
    services.item_publish(version_id=v2.pk, effective_from=date(2099, 1, 1))
    assert selectors.current_version("GG06001000").version == 1


def test_effective_date_must_move_forward() -> None:
    _published(date(2026, 3, 1))
    v2 = services.item_new_draft(code="GG06001000")
    with pytest.raises(Conflict) as exc:
        services.item_publish(version_id=v2.pk, effective_from=date(2026, 2, 1))
    assert exc.value.code == "catalog.effective_date_order"


def test_one_draft_at_a_time() -> None:
    _published()
    services.item_new_draft(code="GG06001000")
    with pytest.raises(Conflict):
        services.item_new_draft(code="GG06001000")


@pytest.mark.parametrize(("changes", "message"), [
    ({"promised_limit_days": 30}, "不得超过法定办结时限"),
    ({"item_type": "99"}, "事项类型不在标准枚举内"),
    ({"audience": ["市民"]}, "服务对象不在标准枚举内"),
    ({"channels": ["窗口"], "visits": 0}, "须支持网上或掌上办理"),
    ({"fee": "10.00", "fee_basis": ""}, "收费事项须填写收费依据"),
    ({"materials": [{"name": "身份证", "necessity": "可选"}]}, "必要性不在标准枚举内"),
])
def test_invalid_elements_are_refused(changes: dict, message: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.item_create_draft(payload={**item_payload(BIRTH), "legal_limit_days": 20, **changes})
    assert message in exc.value.message
