"""Export to Excel and CSV, edit, import back: a changed row becomes a new published version; a bad
row is rejected with its reason."""

from __future__ import annotations

import csv
import io
import json

import pytest

from yiwang.catalog import importing, selectors, services
from yiwang.catalog.models import ItemVersion

pytestmark = pytest.mark.django_db


def test_xlsx_roundtrip_is_unchanged(demo_catalog: dict) -> None:
    data = importing.write_xlsx(selectors.export_payloads())
    report = services.import_file(data=data, filename="catalog.xlsx")
    assert report.layout == "native"
    assert (report.created, report.updated, report.rejected) == (0, 0, 0)
    assert report.unchanged == demo_catalog["items"]


def test_csv_edit_creates_new_version_and_rejects_bad_rows(demo_catalog: dict) -> None:
    text = importing.write_csv(selectors.export_payloads()).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    col = {h: i for i, h in enumerate(header)}
    birth = next(r for r in rows if r[col["事项编码"]] == "GG06001000")
    birth[col["承诺办结时限（工作日）"]] = "0"
    birth[col["生效日期"]] = "2026-06-01"
    bad = next(r for r in rows if r[col["事项编码"]] == "XK01001000")
    bad[col["申请材料(JSON)"]] = "[{broken"
    worse = next(r for r in rows if r[col["事项编码"]] == "QR03001000")
    worse[col["事项类型代码"]] = "77"
    worse[col["事项类型"]] = "行政许可吗"
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    report = services.import_file(data=buf.getvalue().encode(), filename="edited.csv")
    assert report.updated == 1 and report.rejected == 2
    reasons = {r["code"]: r["reason"] for r in report.rejections}
    assert "JSON" in reasons["XK01001000"]
    assert "事项类型" in reasons["QR03001000"]
    versions = ItemVersion.objects.filter(item__code="GG06001000").order_by("version")
    assert [v.version for v in versions] == [1, 2]
    from datetime import date

    assert selectors.current_version("GG06001000", date(2026, 5, 31)).promised_limit_days == 1
    assert selectors.current_version("GG06001000", date(2026, 6, 1)).promised_limit_days == 0
    # The rejected rows left their items untouched.
    assert ItemVersion.objects.filter(item__code="XK01001000").count() == 1
    assert json.dumps(selectors.current_version("XK01001000").materials, ensure_ascii=False).startswith("[")


def test_unreadable_file_is_refused() -> None:
    from yiwang.kernel.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        services.import_file(data=b"foo,bar\n1,2\n", filename="x.csv")
