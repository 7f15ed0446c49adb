"""The demo city meets the foundation issue's numbers, with valid identifiers, deterministically."""

from __future__ import annotations

import pytest

from yiwang.demo.build import build_demo, demo_is_built
from yiwang.demo.personas import PERSONAS
from yiwang.identity.models import Enterprise, Organisation, Person, Region, Staff, User
from yiwang.kernel.crypto import decrypt_field
from yiwang.kernel.validators import validate_credit_code, validate_id_number, validate_mobile

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        from django.db import connection

        assert not demo_is_built()
        summary = build_demo()
        yield summary
        # Leave the shared test database as other modules expect it: empty.
        with connection.cursor():
            pass
        from django.core.management import call_command

        call_command("flush", interactive=False, verbosity=0)


def test_six_level_tree(demo):  # type: ignore[no-untyped-def]
    levels = {lvl: Region.objects.filter(level=lvl).count() for lvl in range(1, 7)}
    assert levels[1] == 1 and levels[2] == 1
    assert levels[3] == 6
    assert all(levels[lvl] > 0 for lvl in (4, 5, 6))
    grid = Region.objects.filter(level=6).first()
    chain = []
    while grid is not None:
        chain.append(grid.level)
        grid = grid.parent
    assert chain == [6, 5, 4, 3, 2, 1]


def test_people_and_enterprises_have_valid_numbers(demo):  # type: ignore[no-untyped-def]
    people = list(Person.objects.all())
    assert len(people) >= 200
    for p in people[:60]:
        validate_id_number(decrypt_field(p.id_number_enc))
        validate_mobile(decrypt_field(p.phone_enc))
        assert "*" in p.id_number_masked
    ents = list(Enterprise.objects.all())
    assert len(ents) >= 50
    for e in ents:
        validate_credit_code(e.credit_code)


def test_departments_staff_and_personas(demo):  # type: ignore[no-untyped-def]
    departments = Organisation.objects.filter(kind=Organisation.Kind.DEPARTMENT)
    assert departments.count() >= 15
    for dept in departments:
        assert Staff.objects.filter(organisation=dept).count() >= 3, dept.name
    usernames = set(User.objects.values_list("username", flat=True))
    assert {p["username"] for p in PERSONAS} <= usernames
    roles = set()
    for s in Staff.objects.prefetch_related("roles"):
        roles |= {r.code for r in s.roles.all()}
    assert {"window_clerk", "approver", "supervisor", "hotline_operator", "data_officer", "leader",
            "catalog_manager"} <= roles


def test_second_build_is_refused_by_the_idempotency_check(demo):  # type: ignore[no-untyped-def]
    assert demo_is_built()
