"""Builds the whole demo city. Each module contributes its part through its own services."""

from __future__ import annotations

from django.db import transaction

from yiwang.identity.models import User
from yiwang.kernel.context import Actor, acting_as

from .personas import PERSONAS


def demo_is_built() -> bool:
    return User.objects.filter(username=PERSONAS[0]["username"]).exists()


def build_demo(seed: int = 20261123) -> dict[str, int]:
    from yiwang.demo import (
        calendar_data,
        cases_data,
        catalog_data,
        certificates_data,
        city,
        exchange_data,
        feedback_data,
        ledger_data,
        oauth_clients,
    )

    summary: dict[str, int] = {}
    with acting_as(Actor(label="示范市演示数据")), transaction.atomic():
        summary.update(calendar_data.build())
        summary.update(city.build_city(seed))
        summary.update(oauth_clients.build(seed))
        summary.update(catalog_data.build(seed))
        summary.update(ledger_data.build(seed))
        summary.update(exchange_data.build(seed))
        summary.update(certificates_data.build(seed))
        summary.update(cases_data.build(seed))
        summary.update(feedback_data.build(seed))
    # Certificates reach the ledger through after-commit event handlers; publish a checkpoint that
    # covers them so that the demo's verification pages show a witnessed proof from the start.
    from yiwang.ledger import selectors as ledger_selectors
    from yiwang.ledger import services as ledger_services

    with acting_as(Actor(label="示范市演示数据")):
        for log in ledger_selectors.logs():
            ledger_services.ledger_publish(log.name)
    return summary
