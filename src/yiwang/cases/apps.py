from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "yiwang.cases"
    label = "cases"
    verbose_name = "一网通办办件"

    def ready(self) -> None:
        from yiwang.cases import handlers

        handlers.connect()
