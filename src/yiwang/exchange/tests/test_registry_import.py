"""A provider's file goes into its base registry row by row: valid rows merged whole, bad rows
rejected whole with their row number and reason."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from yiwang.exchange import services
from yiwang.exchange.providers import TableProvider
from yiwang.kernel.errors import NotFound
from yiwang.kernel.validators import make_id_number

from .conftest import ZHANG_ID, City

pytestmark = pytest.mark.django_db


def test_rows_are_merged_or_rejected_whole(city: City, tmp_path) -> None:  # type: ignore[no-untyped-def]
    newcomer = make_id_number("420106", __import__("datetime").date(1990, 1, 2), 33)
    csv = (
        "身份证号,户籍地址,户号\n"
        f"{ZHANG_ID},示范市东湖区湖滨街道和平社区8号,H0009\n"  # changes 张伟's address, keeps his name
        f"{newcomer},示范市北城区北苑街道1号,H0100\n"  # a new person not (yet) registered with yiwang
        "110105194912310021,示范市,H1\n"  # bad check character
        f"{ZHANG_ID[:-1]}X,示范市,H2\n"  # also bad
        ",示范市,H3\n"  # no key
    ).encode()
    report = services.registry_import(resource_code="A0101002", filename="hukou.csv", content=csv)
    assert report.imported == 2
    assert [n for n, _ in report.rejected] == [4, 5, 6]
    assert "校验位" in report.rejected[0][1] and "缺少" in report.rejected[2][1]
    zhang = TableProvider("population").fetch(ZHANG_ID)
    assert zhang is not None
    assert zhang["hjdz"] == "示范市东湖区湖滨街道和平社区8号" and zhang["hh"] == "H0009"
    assert zhang["xm"] == "张伟"  # merged, not replaced
    assert zhang["_subject_ref"] == city.zhang.subject_ref
    assert TableProvider("population").fetch(newcomer) == {"hjdz": "示范市北城区北苑街道1号", "hh": "H0100",
                                                           "_subject_ref": ""}


def test_unknown_columns_and_unknown_resources_are_refused(city: City, tmp_path) -> None:  # type: ignore[no-untyped-def]
    report = services.registry_import(resource_code="A0101002", filename="x.csv",
                                      content=f"身份证号,血型\n{ZHANG_ID},A\n".encode())
    assert report.imported == 0 and "未知信息项：血型" in report.rejected[0][1]
    with pytest.raises(NotFound):
        services.registry_import(resource_code="NOPE", filename="x.csv", content=b"a\n1\n")


def test_the_command_reports_each_rejected_row(city: City, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "hukou.csv"
    path.write_text(f"身份证号,户号\n{ZHANG_ID},H7\nbad,H8\n", encoding="utf-8")
    call_command("exchange_import", "A0101002", str(path))
    out = capsys.readouterr().out
    assert "导入 1 行，拒绝 1 行" in out and "第 3 行" in out
