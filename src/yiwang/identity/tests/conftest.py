"""Fixtures for identity tests: a small city with a citizen, a window clerk (sees personal data) and
an approver whose role does not."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from django.test import Client
from oauth2_provider.models import Application

from yiwang.identity import services
from yiwang.identity.auth import forget_all_tokens
from yiwang.identity.models import Organisation, Person, Region, Staff, User
from yiwang.kernel.validators import make_credit_code, make_id_number

PASSWORD = "test-pass-2026"
ZHANG_ID = make_id_number("330106", date(1993, 5, 12), 101)
ZHANG_PHONE = "13800000001"


@dataclass
class City:
    region: Region
    org: Organisation
    zhang: Person
    grandma: Person
    grandson: Person
    clerk: Staff
    approver: Staff


@pytest.fixture(autouse=True)
def _clean_token_cache() -> Iterator[None]:
    forget_all_tokens()
    yield
    forget_all_tokens()


@pytest.fixture
def city(db: None) -> City:
    services.ensure_roles([("window_clerk", "窗口受理人员", True), ("approver", "审批人员", False)])
    province = Region.objects.create(code="990000000000", name="示范省", level=Region.Level.PROVINCE)
    region = Region.objects.create(code="990100000000", name="示范市", level=Region.Level.CITY, parent=province)
    org = Organisation.objects.create(code=make_credit_code("1", "1", "990100", "MB0000001"), name="示范市政务服务中心",
                                      short_name="政务服务中心", kind=Organisation.Kind.SERVICE_CENTER, region=region)
    zhang = services.person_register(real_name="张伟", id_number=ZHANG_ID, phone=ZHANG_PHONE, password=PASSWORD,
                                     region=region, assurance_level=Person.Assurance.L3)
    grandma = services.person_register(real_name="王秀英", id_number=make_id_number("330106", date(1954, 3, 8), 102),
                                       phone="13800000002", password=PASSWORD)
    grandson = services.person_register(real_name="王小明", id_number=make_id_number("330106", date(2001, 7, 2), 103),
                                        phone="13800000004", password=PASSWORD)
    clerk = services.staff_create(username="chenchen", display_name="陈晨", organisation=org, employee_no="SF00001",
                                  roles=["window_clerk"], password=PASSWORD)
    approver = services.staff_create(username="zhaoqiang", display_name="赵强", organisation=org,
                                     employee_no="SF00002", roles=["approver"], password=PASSWORD)
    return City(region, org, zhang, grandma, grandson, clerk, approver)


def logged_in(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def make_app(*, name: str, grant: str, client_type: str = Application.CLIENT_CONFIDENTIAL,
             redirect_uris: str = "", skip_authorization: bool = True, user: User | None = None,
             algorithm: str = Application.RS256_ALGORITHM) -> tuple[Application, str]:
    """An OAuth client and its plaintext secret (stored hashed)."""
    secret = secrets.token_urlsafe(32)
    app = Application.objects.create(name=name, client_type=client_type, authorization_grant_type=grant,
                                     redirect_uris=redirect_uris, client_secret=secret, user=user,
                                     skip_authorization=skip_authorization, algorithm=algorithm)
    return app, secret
