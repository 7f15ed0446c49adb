from django.apps import AppConfig


class ReferenceConfig(AppConfig):
    name = "yiwang.bench.reference"
    label = "reference"
