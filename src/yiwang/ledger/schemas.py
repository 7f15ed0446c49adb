from __future__ import annotations

from ninja import Schema
from pydantic import Field


class LogOut(Schema):
    name: str = Field(description="账本名称，例如 certificates")
    title: str
    origin: str = Field(description="检查点第一行（C2SP origin）")
    hash: str = Field(description="树哈希：sha256 或 sm3")
    size: int = Field(description="已排序的条目数")
    quorum: int = Field(description="发布检查点所需的见证联署数")
    verifier_keys: list[str] = Field(description="C2SP vkey：账本 Ed25519 与 SM2 公钥，随后是各见证方的联署公钥")


class CheckpointOut(Schema):
    size: int
    root: str = Field(description="根哈希（base64）")
    note: str = Field(description="签名检查点（C2SP signed note，含见证联署）")
    cosigners: list[str]
    published_at: str | None


class EntryOut(Schema):
    index: int
    leaf_input: str = Field(description="叶子内容（base64）：yiwang.ledger/v1 类型 时间 加盐摘要")
    leaf_hash: str = Field(description="RFC 6962 叶子哈希 H(0x00||leaf_input)（base64）")


class ProofOut(Schema):
    hashes: list[str] = Field(description="证明路径（base64），RFC 6962 §2.1 顺序")


class InclusionProofOut(ProofOut):
    index: int
    size: int


class ConsistencyProofOut(ProofOut):
    old: int
    new: int
