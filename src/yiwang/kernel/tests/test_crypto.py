"""Official test vectors (SM3, SM4, SM2 Annex A) and the kernel's crypto interfaces."""

from __future__ import annotations

import base64

import gmssl_pyx
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from yiwang.kernel.crypto import FieldCipher, blind_index, decrypt_field, encrypt_field
from yiwang.kernel.crypto.hashing import sm3, sm3_hex, sm3_hmac
from yiwang.kernel.crypto.signing import (
    SM2_A,
    SM2_B,
    SM2_DEFAULT_ID,
    SM2_GX,
    SM2_GY,
    SM2_N,
    SM2_P,
    Ed25519Signer,
    Ed25519Verifier,
    Sm2Signer,
    Sm2Verifier,
    der_to_raw,
    raw_to_der,
    sm2_point_multiply,
    sm2_public_key,
    sm2_z,
)

# --- SM3 (GB/T 32905-2016 Appendix A) ---------------------------------------------------------


def test_sm3_official_vectors() -> None:
    assert sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert sm3_hex(b"abcd" * 16) == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


def test_sm3_agrees_with_gmssl() -> None:
    for message in (b"", b"abc", "一网通办".encode(), bytes(range(256)) * 5):
        assert sm3(message) == gmssl_pyx.sm3_hash(message)
    assert sm3_hmac(b"k" * 32, b"abc") == gmssl_pyx.sm3_hmac(b"k" * 32, b"abc")


# --- SM4 (GB/T 32907-2016 Appendix A; SM4-GCM from RFC 8998 Appendix A.1) ------------------------

SM4_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")


def test_sm4_single_block_official_vector() -> None:
    encryptor = Cipher(algorithms.SM4(SM4_KEY), modes.ECB()).encryptor()
    assert (encryptor.update(SM4_KEY) + encryptor.finalize()).hex() == "681edf34d206965e86b3e94f536e4246"


def test_sm4_one_million_iterations_official_vector() -> None:
    encryptor = Cipher(algorithms.SM4(SM4_KEY), modes.ECB()).encryptor()
    block = SM4_KEY
    for _ in range(1_000_000):
        block = encryptor.update(block)
    assert block.hex() == "595298c7c6fd271f0402f804c33d3f66"


def test_sm4_gcm_rfc8998_vector() -> None:
    iv = bytes.fromhex("00001234567800000000ABCD")
    aad = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    plaintext = bytes.fromhex(
        "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
        "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
    )
    encryptor = Cipher(algorithms.SM4(SM4_KEY), modes.GCM(iv)).encryptor()
    encryptor.authenticate_additional_data(aad)
    ciphertext = encryptor.update(plaintext) + encryptor.finalize()
    assert ciphertext.hex().upper() == (
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
    )
    assert encryptor.tag.hex().upper() == "83DE3541E4C2B58177E065A9BF7B62EC"


# --- SM2 (GM/T 0003.5-2012 / GB/T 32918.5 Annex A, recommended curve) ----------------------------

D = bytes.fromhex("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
K = int("59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21", 16)
R = bytes.fromhex("F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3")
S = bytes.fromhex("B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA")
PX = "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
PY = "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
MESSAGE = b"message digest"


def test_sm2_curve_parameters_are_consistent() -> None:
    assert (SM2_GY**2 - (SM2_GX**3 + SM2_A * SM2_GX + SM2_B)) % SM2_P == 0
    # n·G is the point at infinity: (n-1)·G = -G.
    x, y = sm2_point_multiply(SM2_N - 1)
    assert (x, y) == (SM2_GX, SM2_P - SM2_GY)


def test_sm2_annex_a_public_key_and_z() -> None:
    public = sm2_public_key(D)
    assert public.hex().upper() == PX + PY
    assert gmssl_pyx.normalize_sm2_public_key(public) == public  # on the curve, per gmssl too
    assert sm2_z(public).hex().upper().startswith("B2E14C5C")
    assert sm2_z(public).hex().upper().endswith("CDA8A4F3")


def test_sm2_annex_a_signature_verifies() -> None:
    verifier = Sm2Verifier(sm2_public_key(D))
    assert verifier.verify(MESSAGE, R + S)
    assert not verifier.verify(b"message digesT", R + S)
    assert not verifier.verify(MESSAGE, R + S[:-1] + bytes([S[-1] ^ 1]))
    assert not Sm2Verifier(sm2_public_key(D), signer_id=b"other id").verify(MESSAGE, R + S)


def test_sm2_annex_a_signature_reproduced_with_fixed_k() -> None:
    """gmssl-pyx cannot take a fixed k; recompute the signature from the standard's formulas."""
    d = int.from_bytes(D, "big")
    e = int.from_bytes(sm3(sm2_z(sm2_public_key(D)) + MESSAGE), "big")
    x1, _ = sm2_point_multiply(K)
    r = (e + x1) % SM2_N
    s = pow(1 + d, -1, SM2_N) * (K - r * d) % SM2_N
    assert r.to_bytes(32, "big") == R
    assert s.to_bytes(32, "big") == S
    # And verification from the formulas: x1' = (s·G + t·P).x, R == (e + x1') mod n.
    t = (r + s) % SM2_N
    sg, tp = sm2_point_multiply(s), sm2_point_multiply(t, (int(PX, 16), int(PY, 16)))
    lam = (tp[1] - sg[1]) * pow(tp[0] - sg[0], -1, SM2_P) % SM2_P
    assert (e + (lam * lam - sg[0] - tp[0]) % SM2_P) % SM2_N == r


def test_sm2_signer_round_trip_and_tamper() -> None:
    for signer in (Sm2Signer.generate(), Sm2Signer.from_private_key(D)):
        message = "证照签发：示范市青禾餐饮有限公司".encode()
        signature = signer.sign(message)
        assert len(signature) == 64
        verifier = signer.verifier()
        assert verifier.verify(message, signature)
        assert not verifier.verify(message + b"!", signature)
        assert not verifier.verify(message, bytes([signature[0] ^ 0x80]) + signature[1:])
        assert not verifier.verify(message, signature[:63])
        assert not verifier.verify(message, b"\x00" * 64)
        assert not Sm2Verifier(Sm2Signer.generate().public_key).verify(message, signature)
    # gmssl's own verifier agrees with ours (Z_A with the default id).
    signer = Sm2Signer.from_private_key(D)
    sig = signer.sign(MESSAGE)
    assert gmssl_pyx.sm2_verify(signer.public_key, MESSAGE, raw_to_der(sig), signer_id=SM2_DEFAULT_ID)


def test_sm2_private_key_range_checked() -> None:
    with pytest.raises(ValueError):
        sm2_public_key(b"\x00" * 32)
    with pytest.raises(ValueError):
        sm2_public_key(b"\x01" * 31)
    with pytest.raises(ValueError):
        sm2_public_key(SM2_N.to_bytes(32, "big"))


def test_der_round_trip_and_rejects_garbage() -> None:
    for raw in (R + S, b"\x00" * 31 + b"\x01" + b"\xff" * 32, b"\x80" + b"\x00" * 63):
        assert der_to_raw(raw_to_der(raw)) == raw
    for junk in (b"", b"\x30\x00", b"\x31" + b"\x00" * 10, raw_to_der(R + S) + b"\x00"):
        with pytest.raises(ValueError):
            der_to_raw(junk)


def test_ed25519_round_trip_and_tamper() -> None:
    signer = Ed25519Signer.from_seed(bytes(range(32)))
    assert Ed25519Signer.from_seed(signer.seed()).public_key_bytes() == signer.public_key_bytes()
    signature = signer.sign(b"checkpoint")
    verifier = signer.verifier()
    assert verifier.verify(b"checkpoint", signature)
    assert not verifier.verify(b"checkpoinT", signature)
    assert not verifier.verify(b"checkpoint", bytes([signature[0] ^ 1]) + signature[1:])
    assert not verifier.verify(b"checkpoint", signature[:10])
    assert not Ed25519Verifier(Ed25519Signer.generate().public_key_bytes()).verify(b"checkpoint", signature)
    assert not Ed25519Verifier(b"short").verify(b"checkpoint", signature)


def test_ed25519_rfc8032_test_1() -> None:
    signer = Ed25519Signer.from_seed(
        bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    )
    assert (
        signer.public_key_bytes().hex() == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    )
    assert signer.sign(b"").hex() == (
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46b"
        "d25bf5f0595bbe24655141438e7a100b"
    )


# --- Field encryption (SM4-GCM) and blind index (HMAC-SM3) ---------------------------------------

CIPHER = FieldCipher(bytes(range(16)), b"i" * 32)


def test_field_round_trip_and_fresh_nonce() -> None:
    value = "11010519491231002X"
    first, second = CIPHER.encrypt(value), CIPHER.encrypt(value)
    assert first.startswith("v1:") and second.startswith("v1:")
    assert first != second  # random nonce: equal values do not give equal ciphertexts
    assert CIPHER.decrypt(first) == CIPHER.decrypt(second) == value
    assert CIPHER.decrypt(CIPHER.encrypt("")) == ""
    assert CIPHER.decrypt(CIPHER.encrypt("王秀英 13800000001")) == "王秀英 13800000001"


def test_field_tamper_and_wrong_key_raise_value_error() -> None:
    stored = CIPHER.encrypt("13800000001")
    raw = bytearray(base64.b64decode(stored[3:]))
    for position in (0, 12, len(raw) - 1):  # nonce, body, tag
        altered = bytearray(raw)
        altered[position] ^= 1
        with pytest.raises(ValueError):
            CIPHER.decrypt("v1:" + base64.b64encode(bytes(altered)).decode())
    with pytest.raises(ValueError):
        FieldCipher(bytes(16), b"i" * 32).decrypt(stored)
    for junk in ("", "v0:abc", "v1:***", "v1:" + base64.b64encode(b"short").decode()):
        with pytest.raises(ValueError):
            CIPHER.decrypt(junk)


def test_field_context_binds_ciphertext() -> None:
    stored = CIPHER.encrypt("13800000001", context=b"person:1:phone")
    assert CIPHER.decrypt(stored, context=b"person:1:phone") == "13800000001"
    with pytest.raises(ValueError):
        CIPHER.decrypt(stored, context=b"person:2:phone")


def test_blind_index_deterministic_normalised_and_key_dependent() -> None:
    index = CIPHER.blind_index("11010519491231002X")
    assert index == CIPHER.blind_index(" 11010519491231002x ")
    assert len(index) == 64
    assert index != CIPHER.blind_index("11010519491231003X")
    assert index != FieldCipher(bytes(range(16)), b"j" * 32).blind_index("11010519491231002X")
    # The index key, not the encryption key, decides the index.
    assert index == FieldCipher(bytes(16), b"i" * 32).blind_index("11010519491231002X")


def test_bad_keys_rejected() -> None:
    with pytest.raises(ValueError):
        FieldCipher(b"short", b"i" * 32)
    with pytest.raises(ValueError):
        FieldCipher(bytes(16), b"")


def test_default_cipher_helpers() -> None:
    stored = encrypt_field("13800000001")
    assert stored != "13800000001"
    assert decrypt_field(stored) == "13800000001"
    assert encrypt_field("") == decrypt_field("") == blind_index("") == ""
    assert blind_index("13800000001") == blind_index("13800000001")
