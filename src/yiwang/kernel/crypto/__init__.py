"""Crypto behind small interfaces: SM3 hashing, SM4-GCM field encryption with a keyed blind index,
and signers (Ed25519, SM2) in `signing`."""

from yiwang.kernel.crypto.fields import FieldCipher, blind_index, decrypt_field, encrypt_field
from yiwang.kernel.crypto.hashing import sm3_hex, sm3_hmac

__all__ = ["FieldCipher", "blind_index", "decrypt_field", "encrypt_field", "sm3_hex", "sm3_hmac"]
