from django.apps import AppConfig


class KernelConfig(AppConfig):
    name = "yiwang.kernel"
    label = "kernel"
    verbose_name = "共享内核"
