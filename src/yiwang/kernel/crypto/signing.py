"""Signers behind one small interface: Ed25519 (cryptography) and SM2 with SM3 and the default
user id 1234567812345678 (GB/T 32918, via gmssl-pyx). Keys in production live in an HSM; the
interface is what an HSM adapter implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SM2_DEFAULT_ID = b"1234567812345678"


class Signer(Protocol):
    algorithm: str

    def sign(self, message: bytes) -> bytes: ...

    def public_key_bytes(self) -> bytes: ...


class Verifier(Protocol):
    algorithm: str

    def verify(self, message: bytes, signature: bytes) -> bool: ...


@dataclass
class Ed25519Signer:
    private_key: Ed25519PrivateKey
    algorithm: str = "ed25519"

    @classmethod
    def generate(cls) -> Ed25519Signer:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> Ed25519Signer:
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    def seed(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)

    def public_key_bytes(self) -> bytes:
        return self.private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def verifier(self) -> Ed25519Verifier:
        return Ed25519Verifier(self.public_key_bytes())


@dataclass
class Ed25519Verifier:
    public_key: bytes
    algorithm: str = "ed25519"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
            return True
        except (InvalidSignature, ValueError):
            return False


@dataclass
class Sm2Signer:
    """SM2 signature (r||s, 64 bytes raw) over SM3 with Z_A computed from the signer id."""

    private_key: bytes  # 32 bytes
    public_key: bytes  # 64 bytes x||y (uncompressed point without the 04 prefix)
    signer_id: bytes = SM2_DEFAULT_ID
    algorithm: str = "sm2"

    @classmethod
    def generate(cls) -> Sm2Signer:
        import gmssl_pyx

        public, private = gmssl_pyx.sm2_key_generate()
        return cls(private_key=private, public_key=public)

    def sign(self, message: bytes) -> bytes:
        import gmssl_pyx

        der = gmssl_pyx.sm2_sign(self.private_key, self.public_key, message, signer_id=self.signer_id)
        return der_to_raw(der)

    def public_key_bytes(self) -> bytes:
        return self.public_key

    def verifier(self) -> Sm2Verifier:
        return Sm2Verifier(self.public_key, self.signer_id)


@dataclass
class Sm2Verifier:
    public_key: bytes
    signer_id: bytes = SM2_DEFAULT_ID
    algorithm: str = "sm2"

    def verify(self, message: bytes, signature: bytes) -> bool:
        import gmssl_pyx

        if len(signature) != 64:
            return False
        try:
            return bool(gmssl_pyx.sm2_verify(self.public_key, message, raw_to_der(signature), signer_id=self.signer_id))
        except Exception:  # malformed input is simply not a valid signature
            return False


def _der_int(value: int) -> bytes:
    body = value.to_bytes((value.bit_length() + 8) // 8 or 1, "big")
    return b"\x02" + bytes([len(body)]) + body


def raw_to_der(raw: bytes) -> bytes:
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    body = _der_int(r) + _der_int(s)
    return b"\x30" + bytes([len(body)]) + body


def der_to_raw(der: bytes) -> bytes:
    if len(der) < 8 or der[0] != 0x30:
        raise ValueError("not a DER signature")
    i = 2
    out = b""
    for _ in range(2):
        if der[i] != 0x02:
            raise ValueError("not a DER integer")
        n = der[i + 1]
        out += int.from_bytes(der[i + 2 : i + 2 + n], "big").to_bytes(32, "big")
        i += 2 + n
    return out
