"""Signed tree heads: checkpoints of the audit log that a database writer cannot forge.

A checkpoint names the size of the log, the Merkle root of its entries (:mod:`hotline.audit.merkle`)
and the moment it was taken, signed with an Ed25519 key that lives in a file the database never
sees. Whoever keeps checkpoints outside (IOM, the inspectorate, a second store) can later prove,
with the public key alone, that every entry a checkpoint covers is still there, unchanged, and
that a newer checkpoint extends an older one (a consistency proof) instead of rewriting it.

The text of a checkpoint is specified in docs/audit.md; keep the two in step::

    hotline-1503 audit checkpoint v1
    size 6
    root <64 hex>
    time 2026-11-22T08:05:00.000000Z
    key <64 hex: SHA-256 of the 32-byte public key>
    signature <base64 of the Ed25519 signature of the five lines above, each ending in LF>
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.audit import merkle
from hotline.audit.service import format_time
from hotline.core.clock import Clock
from hotline.models import AuditEntry

HEADER = "hotline-1503 audit checkpoint v1"
_LINE = {
    "size": re.compile(r"(0|[1-9][0-9]*)"),
    "root": re.compile(r"[0-9a-f]{64}"),
    "time": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z"),
    "key": re.compile(r"[0-9a-f]{64}"),
    "signature": re.compile(r"[A-Za-z0-9+/]{86}=="),
}


class CheckpointError(ValueError):
    """A checkpoint that cannot be read, is not signed by the key, or does not match the log."""


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def new_signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    """A PKCS#8 PEM Ed25519 private key (``hotline audit keygen``, or ``openssl genpkey -algorithm ed25519``)."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise CheckpointError(f"cannot read the signing key {path}: {type(exc).__name__}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A PEM SubjectPublicKeyInfo Ed25519 public key (``hotline audit public-key``)."""
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError, TypeError) as exc:
        raise CheckpointError(f"cannot read the public key {path}: {type(exc).__name__}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise CheckpointError(f"{path} is not an Ed25519 public key")
    return key


@dataclass(frozen=True, slots=True)
class Checkpoint:
    size: int
    root: bytes
    time: str
    key: str
    signature: bytes

    def body(self) -> bytes:
        """The signed bytes: the first five lines, each ending in LF."""
        return (
            f"{HEADER}\nsize {self.size}\nroot {self.root.hex()}\ntime {self.time}\nkey {self.key}\n"
        ).encode("ascii")

    def text(self) -> str:
        return self.body().decode("ascii") + f"signature {base64.b64encode(self.signature).decode('ascii')}\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()
        if len(lines) != 6 or lines[0] != HEADER:
            raise CheckpointError(f"a checkpoint is six lines starting with {HEADER!r}")
        values: dict[str, str] = {}
        for line, name in zip(lines[1:], _LINE, strict=True):
            label, _, value = line.partition(" ")
            if label != name or _LINE[name].fullmatch(value) is None:
                raise CheckpointError(f"line {name!r} of the checkpoint is malformed: {line[:80]!r}")
            values[name] = value
        try:
            signature = base64.b64decode(values["signature"], validate=True)
        except binascii.Error:
            raise CheckpointError("the checkpoint's signature is not base64") from None
        return cls(
            size=int(values["size"]),
            root=bytes.fromhex(values["root"]),
            time=values["time"],
            key=values["key"],
            signature=signature,
        )

    @classmethod
    def read(cls, path: Path) -> Checkpoint:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CheckpointError(f"cannot read the checkpoint {path}: {type(exc).__name__}") from None
        return cls.parse(text)

    def check_signature(self, public: Ed25519PublicKey) -> None:
        if self.key != key_id(public):
            raise CheckpointError(f"the checkpoint at size {self.size} names another key ({self.key[:16]}…)")
        try:
            public.verify(self.signature, self.body())
        except InvalidSignature:
            raise CheckpointError(
                f"the checkpoint at size {self.size} is not signed by the key: it was forged or edited"
            ) from None


def sign(size: int, root: bytes, at: datetime, key: Ed25519PrivateKey) -> Checkpoint:
    unsigned = Checkpoint(
        size=size,
        root=root,
        time=format_time(at.astimezone(UTC)),
        key=key_id(key.public_key()),
        signature=b"",
    )
    return Checkpoint(
        size=unsigned.size,
        root=unsigned.root,
        time=unsigned.time,
        key=unsigned.key,
        signature=key.sign(unsigned.body()),
    )


async def leaves(session: AsyncSession, size: int | None = None) -> list[bytes]:
    """The leaf hashes of the first ``size`` entries (all of them by default), in ``seq`` order.

    Leaf ``i`` is the entry with ``seq`` i + 1: a gap in the numbering (which ``verify`` names)
    makes the log fail every checkpoint and proof beyond it.
    """
    query = select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq)
    if size is not None:
        query = query.where(AuditEntry.seq <= size)
    out: list[bytes] = []
    for seq, digest in (await session.execute(query)).all():
        if seq != len(out) + 1:
            raise CheckpointError(f"entry {len(out) + 1} is missing: the log has no tree beyond {len(out)}")
        out.append(merkle.leaf_hash(bytes.fromhex(digest)))
    if size is not None and len(out) < size:
        raise CheckpointError(f"the log holds {len(out)} entries, fewer than {size}: entries were removed")
    return out


async def take(
    session: AsyncSession, key: Ed25519PrivateKey, clock: Clock, previous: Checkpoint | None = None
) -> Checkpoint:
    """Sign the current tree head. With ``previous``, refuse unless the log still extends it:
    the key never signs a history that rewrites what it signed before."""
    tree = await leaves(session)
    if previous is not None:
        previous.check_signature(key.public_key())
        if previous.size > len(tree):
            raise CheckpointError(
                f"the log holds {len(tree)} entries, fewer than the previous checkpoint's {previous.size}"
            )
        if merkle.root(tree[: previous.size]) != previous.root:
            raise CheckpointError(
                f"the first {previous.size} entries no longer have the previous checkpoint's root: "
                "history was rewritten; nothing signed"
            )
    return sign(len(tree), merkle.root(tree), clock(), key)


def matches(checkpoint: Checkpoint, tree: list[bytes]) -> None:
    """That the log's first ``checkpoint.size`` leaves have the checkpoint's root."""
    if len(tree) < checkpoint.size:
        raise CheckpointError(
            f"the log holds {len(tree)} entries but the checkpoint covers {checkpoint.size}: entries were removed"
        )
    if merkle.root(tree[: checkpoint.size]) != checkpoint.root:
        raise CheckpointError(
            f"the first {checkpoint.size} entries do not have the checkpoint's root: history up to "
            f"{checkpoint.size} was rewritten"
        )


def _hashes(label: str, nodes: list[bytes]) -> str:
    return "".join(f"{label} {node.hex()}\n" for node in nodes)


def inclusion_text(seq: int, tree: list[bytes], entry: str) -> str:
    """``hotline audit prove --seq``: the audit path of entry ``seq`` in the tree of ``len(tree)``."""
    path = merkle.inclusion_proof(seq - 1, tree)
    return (
        f"hotline-1503 audit inclusion proof v1\nseq {seq}\nsize {len(tree)}\nentry {entry}\n"
        f"root {merkle.root(tree).hex()}\n" + _hashes("path", path)
    )


def consistency_text(old_size: int, tree: list[bytes]) -> str:
    """``hotline audit prove --old-size``: that the tree of ``old_size`` is a prefix of this one."""
    proof = merkle.consistency_proof(old_size, tree)
    return (
        f"hotline-1503 audit consistency proof v1\nold_size {old_size}\nsize {len(tree)}\n"
        f"old_root {merkle.root(tree[:old_size]).hex()}\nroot {merkle.root(tree).hex()}\n"
        + _hashes("path", proof)
    )


def consistent(old: Checkpoint, new: Checkpoint, tree: list[bytes]) -> int:
    """Prove from the log that ``new`` extends ``old``; the number of hashes in the proof."""
    if old.size > new.size:
        raise CheckpointError(f"the older checkpoint ({old.size}) is larger than the newer one ({new.size})")
    matches(new, tree)
    proof = merkle.consistency_proof(old.size, tree[: new.size])
    try:
        merkle.verify_consistency(old.size, new.size, old.root, new.root, proof)
    except merkle.ProofError as exc:
        raise CheckpointError(
            f"checkpoint {new.size} does not extend checkpoint {old.size} ({exc}): the history the older one "
            "covers was rewritten"
        ) from None
    return len(proof)
