from typing import Any

from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "yiwang.identity"
    label = "identity"
    verbose_name = "统一身份认证"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save
        from oauth2_provider.models import get_access_token_model

        from yiwang.identity.auth import forget_checksum, forget_user
        from yiwang.identity.models import Person, Staff, User

        def _forget(sender: Any, instance: Any, **kwargs: Any) -> None:
            # Revoking an access token deletes its row (DOT); drop it from the in-process cache.
            if getattr(instance, "token_checksum", ""):
                forget_checksum(instance.token_checksum)

        token_model = get_access_token_model()
        post_delete.connect(_forget, sender=token_model, dispatch_uid="identity.forget_deleted_token", weak=False)
        post_save.connect(_forget, sender=token_model, dispatch_uid="identity.forget_saved_token", weak=False)

        def _forget_user(sender: Any, instance: Any, **kwargs: Any) -> None:
            # A changed account, person or staff record: drop the cached snapshot (this process).
            forget_user(instance.pk if sender is User else getattr(instance, "user_id", None))

        for model in (User, Person, Staff):
            post_save.connect(_forget_user, sender=model, dispatch_uid=f"identity.forget_user.{model.__name__}",
                              weak=False)
            post_delete.connect(_forget_user, sender=model, dispatch_uid=f"identity.forget_user_d.{model.__name__}",
                                weak=False)
