"""Field encryption for personal data at rest: SM4-GCM (GB/T 32907 in GCM mode, RFC 8998),
and a keyed blind index (HMAC-SM3) so that an encrypted 身份证号 can still be looked up exactly.

Stored form: "v1:" + base64(nonce[12] || ciphertext || tag[16]). The version prefix leaves room for
key rotation.
"""

from __future__ import annotations

import base64
import hashlib
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from yiwang.kernel.crypto.hashing import sm3_hmac

PREFIX = "v1:"


class FieldCipher:
    def __init__(self, key: bytes, index_key: bytes):
        if len(key) != 16:
            raise ValueError("SM4 key must be 16 bytes")
        if len(index_key) < 16:
            raise ValueError("blind-index key must be at least 16 bytes")
        self._key = key
        self._index_key = index_key

    def encrypt(self, plaintext: str, *, context: bytes = b"") -> str:
        nonce = os.urandom(12)
        encryptor = Cipher(algorithms.SM4(self._key), modes.GCM(nonce)).encryptor()
        if context:
            encryptor.authenticate_additional_data(context)
        body = encryptor.update(plaintext.encode()) + encryptor.finalize()
        return PREFIX + base64.b64encode(nonce + body + encryptor.tag).decode()

    def decrypt(self, stored: str, *, context: bytes = b"") -> str:
        if not isinstance(stored, str) or not stored.startswith(PREFIX):
            raise ValueError("unknown ciphertext version")
        try:
            raw = base64.b64decode(stored[len(PREFIX) :], validate=True)
        except ValueError:
            raise ValueError("ciphertext is not valid base64") from None
        if len(raw) < 12 + 16:
            raise ValueError("ciphertext too short")
        nonce, body, tag = raw[:12], raw[12:-16], raw[-16:]
        decryptor = Cipher(algorithms.SM4(self._key), modes.GCM(nonce, tag)).decryptor()
        if context:
            decryptor.authenticate_additional_data(context)
        try:
            return (decryptor.update(body) + decryptor.finalize()).decode()
        except InvalidTag as exc:
            raise ValueError("ciphertext was altered or the key is wrong") from exc

    def blind_index(self, value: str) -> str:
        """Deterministic keyed digest of a normalised value: equal inputs, equal index; no key, no guess."""
        return sm3_hmac(self._index_key, value.strip().upper().encode()).hex()


def _derive(secret: str, label: str, size: int) -> bytes:
    return hashlib.sha256(f"yiwang:{label}:{secret}".encode()).digest()[:size]


@lru_cache(maxsize=1)
def default_cipher() -> FieldCipher:
    from django.conf import settings

    key = bytes.fromhex(settings.YIWANG_FIELD_KEY) if settings.YIWANG_FIELD_KEY else None
    index_key = bytes.fromhex(settings.YIWANG_BLIND_INDEX_KEY) if settings.YIWANG_BLIND_INDEX_KEY else None
    return FieldCipher(
        key or _derive(settings.SECRET_KEY, "field", 16),
        index_key or _derive(settings.SECRET_KEY, "blind-index", 32),
    )


def encrypt_field(value: str) -> str:
    return default_cipher().encrypt(value) if value else ""


def decrypt_field(stored: str) -> str:
    return default_cipher().decrypt(stored) if stored else ""


def blind_index(value: str) -> str:
    return default_cipher().blind_index(value) if value else ""
