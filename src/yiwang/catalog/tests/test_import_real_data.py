"""The importer against the real 广东政务服务网 export (2,262 items): exact counts and reasons; each row
is imported wholly or rejected wholly; re-import is idempotent; dry run writes nothing."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command

from yiwang.catalog import selectors, services
from yiwang.catalog.models import ImportBatch, ItemVersion, ServiceItem

DATA = Path(__file__).parent / "data" / "gdzwfw_service_items_2262.csv"

pytestmark = pytest.mark.django_db

EXPECTED_REASONS = {
    "缺少承诺办结时限": 539,
    "到现场0次的事项须支持网上或掌上办理": 26,
    "以自然日计": 11,
    "不是有效的实施主体统一社会信用代码": 6,
    "办理形式应为窗口、网上、掌上中的一种或多种": 2,
}


def _bucket(reason: str) -> str:
    return next((k for k in EXPECTED_REASONS if k in reason), reason)


def test_full_real_file_import_counts_and_reasons() -> None:
    report = services.import_file(data=DATA.read_bytes(), filename=DATA.name)
    assert report.layout == "gdzwfw"
    assert report.total == 2262
    assert report.created == 1678 and report.updated == 0 and report.unchanged == 0
    assert report.rejected == 584
    assert Counter(_bucket(r["reason"]) for r in report.rejections) == EXPECTED_REASONS
    # Every rejection names its row (the header is row 1) and code; no half-imported rows.
    assert all(r["row"] >= 2 and r["code"] and r["reason"] for r in report.rejections)
    rejected_codes = {r["code"] for r in report.rejections}
    assert not ServiceItem.objects.filter(code__in=rejected_codes).exists()
    assert ServiceItem.objects.count() == 1678
    assert ItemVersion.objects.filter(status="published").count() == 1678
    batch = ImportBatch.objects.get(pk=report.batch_id)
    assert (batch.total, batch.created, batch.rejected) == (2262, 1678, 584)

    # A known row, fully mapped.
    v = selectors.current_version("11440000006939756B2440101007000")
    assert v is not None
    assert v.name == "临时价格干预范围事项提价申报" and v.department_name == "广东省发展和改革委员会"
    assert v.item_type == "01" and v.level == "省级" and v.department_code == "11440000006939756B"
    assert (v.legal_limit_days, v.promised_limit_days, v.visits) == (30, 7, 0)
    assert v.channels == ["窗口", "网上"] and v.materials[0]["name"] == "提价申报申请报告"
    assert "《广东省实施〈中华人民共和国价格法〉办法》" in v.legal_basis

    # Importing the same file again changes nothing.
    again = services.import_file(data=DATA.read_bytes(), filename=DATA.name)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 1678, 584)
    assert ItemVersion.objects.count() == 1678


def test_dry_run_writes_nothing() -> None:
    report = services.import_file(data=DATA.read_bytes(), filename=DATA.name, dry_run=True)
    assert (report.created, report.rejected) == (1678, 584)
    assert not ServiceItem.objects.exists() and not ImportBatch.objects.exists()


def test_row_is_atomic_when_the_database_refuses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure after the item row was written (while publishing) leaves no trace of that row."""
    header = DATA.read_text(encoding="utf-8-sig").splitlines()[0]
    lines = DATA.read_text(encoding="utf-8-sig").splitlines()[1:4]
    data = "\n".join([header, *lines]).encode()
    real = ItemVersion.save
    calls = {"n": 0}

    def flaky(self: ItemVersion, *args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # the item row of line 3 is already written when its version fails
            from yiwang.kernel.errors import Conflict

            raise Conflict("catalog.test", "模拟的发布失败", None)
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ItemVersion, "save", flaky)
    report = services.import_file(data=data, filename="three.csv")
    assert report.created == 2 and report.rejected == 1
    assert report.rejections[0]["row"] == 3 and "模拟的发布失败" in report.rejections[0]["reason"]
    assert ServiceItem.objects.count() == 2 and ItemVersion.objects.count() == 2


def test_management_command(tmp_path: Path) -> None:
    lines = DATA.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    small = tmp_path / "first200.csv"
    small.write_text("".join(lines[:201]), encoding="utf-8")
    out = tmp_path / "rejections.csv"
    call_command("catalog_import", str(small), "--dry-run", "--quiet-rows", "--report", str(out))
    assert not ServiceItem.objects.exists()
    dry = len(out.read_text(encoding="utf-8-sig").splitlines()) - 1
    call_command("catalog_import", str(small), "--quiet-rows", "--report", str(out))
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) - 1 == dry
    assert ServiceItem.objects.count() == 200 - dry > 0
