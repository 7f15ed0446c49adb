from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "yiwang.ledger"
    label = "ledger"
    verbose_name = "可信账本"
