from django.apps import AppConfig


class KernelConfig(AppConfig):
    name = "yiwang.kernel"
    label = "kernel"
    verbose_name = "共享内核"

    def ready(self) -> None:
        # Registers the system checks and the calendar's cache invalidation on Holiday/CalendarYear changes.
        from yiwang.kernel import calendar, checks  # noqa: F401
