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

# The SM2 recommended curve (GB/T 32918.5): y^2 = x^3 + ax + b over F_p, base point G of order n.
SM2_P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
SM2_A = SM2_P - 3
SM2_B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
SM2_N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
SM2_GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
SM2_GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0

_Point = tuple[int, int] | None


def _sm2_add(p1: _Point, p2: _Point) -> _Point:
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2 and (y1 + y2) % SM2_P == 0:
        return None
    if p1 == p2:
        slope = (3 * x1 * x1 + SM2_A) * pow(2 * y1, -1, SM2_P) % SM2_P
    else:
        slope = (y2 - y1) * pow(x2 - x1, -1, SM2_P) % SM2_P
    x3 = (slope * slope - x1 - x2) % SM2_P
    return x3, (slope * (x1 - x3) - y1) % SM2_P


def sm2_point_multiply(k: int, point: tuple[int, int] = (SM2_GX, SM2_GY)) -> tuple[int, int]:
    """k·P on the SM2 curve (affine double-and-add). Not constant-time: use it for public values and
    for deriving a public key once at key load, never in a signing loop."""
    result: _Point = None
    addend: _Point = point
    while k:
        if k & 1:
            result = _sm2_add(result, addend)
        addend = _sm2_add(addend, addend)
        k >>= 1
    if result is None:
        raise ValueError("point at infinity")
    return result


def sm2_public_key(private_key: bytes) -> bytes:
    """The 64-byte public key x||y for a 32-byte SM2 private key d (1 <= d <= n-2)."""
    if len(private_key) != 32:
        raise ValueError("SM2 private key must be 32 bytes")
    d = int.from_bytes(private_key, "big")
    if not 1 <= d <= SM2_N - 2:
        raise ValueError("SM2 private key out of range")
    x, y = sm2_point_multiply(d)
    return x.to_bytes(32, "big") + y.to_bytes(32, "big")


def sm2_z(public_key: bytes, signer_id: bytes = SM2_DEFAULT_ID) -> bytes:
    """Z_A = SM3(ENTL || ID || a || b || Gx || Gy || Px || Py) (GB/T 32918.2 §5.5)."""
    from yiwang.kernel.crypto.hashing import sm3

    if len(public_key) != 64:
        raise ValueError("SM2 public key must be 64 bytes x||y")
    if len(signer_id) * 8 > 0xFFFF:
        raise ValueError("SM2 signer id too long")

    def be(v: int) -> bytes:
        return v.to_bytes(32, "big")

    entl = (len(signer_id) * 8).to_bytes(2, "big")
    return sm3(entl + signer_id + be(SM2_A) + be(SM2_B) + be(SM2_GX) + be(SM2_GY) + public_key)


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
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

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

    @classmethod
    def from_private_key(cls, private_key: bytes, signer_id: bytes = SM2_DEFAULT_ID) -> Sm2Signer:
        """A signer for an existing 32-byte private key; the public key is derived from it."""
        return cls(private_key=private_key, public_key=sm2_public_key(private_key), signer_id=signer_id)

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
            return bool(
                gmssl_pyx.sm2_verify(
                    self.public_key, message, raw_to_der(signature), signer_id=self.signer_id
                )
            )
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
    """SEQUENCE { INTEGER r, INTEGER s } -> r||s (32 bytes each)."""
    if len(der) < 8 or der[0] != 0x30 or der[1] != len(der) - 2:
        raise ValueError("not a DER signature")
    i = 2
    out = b""
    for _ in range(2):
        if i + 2 > len(der) or der[i] != 0x02:
            raise ValueError("not a DER integer")
        n = der[i + 1]
        if not 1 <= n <= 33 or i + 2 + n > len(der):
            raise ValueError("bad DER integer length")
        out += int.from_bytes(der[i + 2 : i + 2 + n], "big").to_bytes(32, "big")
        i += 2 + n
    if i != len(der):
        raise ValueError("trailing bytes after DER signature")
    return out
