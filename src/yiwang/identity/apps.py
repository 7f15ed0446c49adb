from typing import Any

from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "yiwang.identity"
    label = "identity"
    verbose_name = "统一身份认证"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save
        from oauth2_provider.models import get_access_token_model

        from yiwang.identity.auth import forget_checksum

        def _forget(sender: Any, instance: Any, **kwargs: Any) -> None:
            # Revoking an access token deletes its row (DOT); drop it from the in-process cache.
            if getattr(instance, "token_checksum", ""):
                forget_checksum(instance.token_checksum)

        token_model = get_access_token_model()
        post_delete.connect(_forget, sender=token_model, dispatch_uid="identity.forget_deleted_token", weak=False)
        post_save.connect(_forget, sender=token_model, dispatch_uid="identity.forget_saved_token", weak=False)
