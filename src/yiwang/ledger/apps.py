from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "yiwang.ledger"
    label = "ledger"
    verbose_name = "可信账本"

    def ready(self) -> None:
        from yiwang.kernel.events import subscribe
        from yiwang.ledger.services import EVENT_LOGS, on_domain_event

        for event_type in EVENT_LOGS:
            subscribe(event_type, on_domain_event, planned_writes=True)
