from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "yiwang.certificates"
    label = "certificates"
    verbose_name = "电子证照"
