"""Ledger interop API (public by design: transparency logs are meant to be checked by anyone).

Hashes are base64 as in the RFC 6962 test data; proofs follow RFC 6962 §2.1.
"""

from __future__ import annotations

import base64

from django.http import HttpRequest
from ninja import Path, Query, Router

from yiwang.kernel.permissions import public
from yiwang.ledger import selectors
from yiwang.ledger.schemas import (
    CheckpointOut,
    ConsistencyProofOut,
    EntryOut,
    InclusionProofOut,
    LogOut,
)
from yiwang.ledger.services import get_log

router = Router(tags=["可信账本"])

MAX_INDEX = 2**63 - 1


def _b64(data: bytes | memoryview) -> str:
    return base64.b64encode(bytes(data)).decode()


@router.get("/logs", response=list[LogOut], auth=None)
@public("透明日志的公钥与状态公开，供任何人核验")
def list_logs(request: HttpRequest) -> list[LogOut]:
    """Every log: name, origin, tree hash and the C2SP verifier keys of the log and its witnesses."""
    return [LogOut(name=log.name, title=log.title, origin=log.origin, hash=log.hash, size=log.size,
                   quorum=log.quorum, verifier_keys=selectors.verifier_keys(log)) for log in selectors.logs()]


@router.get("/{name}/checkpoints", response=list[CheckpointOut], auth=None)
@public("已发布的检查点是公开的透明度承诺")
def list_checkpoints(request: HttpRequest, name: str,
                     limit: int = Query(100, ge=1, le=1000),
                     before: int | None = Query(None, ge=0, le=MAX_INDEX)) -> list[CheckpointOut]:
    """Published checkpoints, newest first (`before` = size for paging)."""
    log = get_log(name)
    return [CheckpointOut(size=cp.size, root=_b64(cp.root), note=cp.note, cosigners=list(cp.cosigners),
                          published_at=cp.published_at.isoformat() if cp.published_at else None)
            for cp in selectors.published_checkpoints(log, limit=limit, before=before)]


@router.get("/{name}/entries/{index}", response=EntryOut, auth=None)
@public("账本条目只含加盐摘要，不含个人信息")
def get_entry(request: HttpRequest, name: str, index: int = Path(..., ge=0, le=MAX_INDEX)) -> EntryOut:
    log = get_log(name)
    e = selectors.entry(log, index)
    return EntryOut(index=e.index, leaf_input=_b64(e.leaf_input), leaf_hash=_b64(e.leaf_hash))


@router.get("/{name}/proof/inclusion", response=InclusionProofOut, auth=None)
@public("包含证明是公开的透明度数据")
def inclusion_proof(request: HttpRequest, name: str,
                    index: int = Query(..., ge=0, le=MAX_INDEX),
                    size: int = Query(..., ge=1, le=MAX_INDEX)) -> InclusionProofOut:
    """PATH(index, D[size]) per RFC 6962 §2.1.1."""
    log = get_log(name)
    hashes = selectors.inclusion_proof(log, index, size)
    return InclusionProofOut(index=index, size=size, hashes=[_b64(h) for h in hashes])


@router.get("/{name}/proof/consistency", response=ConsistencyProofOut, auth=None)
@public("一致性证明是公开的透明度数据")
def consistency_proof(request: HttpRequest, name: str,
                      old: int = Query(..., ge=1, le=MAX_INDEX),
                      new: int = Query(..., ge=1, le=MAX_INDEX)) -> ConsistencyProofOut:
    """PROOF(old, D[new]) per RFC 6962 §2.1.2."""
    log = get_log(name)
    hashes = selectors.consistency_proof(log, old, new)
    return ConsistencyProofOut(old=old, new=new, hashes=[_b64(h) for h in hashes])
