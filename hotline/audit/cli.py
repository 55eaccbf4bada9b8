"""`hotline audit verify | anchor | checkpoint | prove | keygen | public-key`.

Mounted by hotline/cli.py. Exit 0 when the log holds; otherwise 1 and one line on stderr
naming what does not. The signing key is read from a file (``--key`` or
``HOTLINE_AUDIT_SIGNING_KEY_FILE``), never from the database; verifiers need only the public key
(``--public-key`` or ``HOTLINE_AUDIT_PUBLIC_KEY_FILE``).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.audit import checkpoint as signed
from hotline.audit.checkpoint import Checkpoint, CheckpointError
from hotline.audit.verify import Anchor, BadAnchor, Report, anchor, verify
from hotline.core.clock import system_clock
from hotline.core.config import Settings
from hotline.core.db import create_engine, create_session_factory
from hotline.models import AuditEntry

audit_app = typer.Typer(help="The tamper-evident audit log (docs/audit.md).", no_args_is_help=True)

T = TypeVar("T")

KeyOption = Annotated[
    Path,
    typer.Option(
        "--key",
        envvar="HOTLINE_AUDIT_SIGNING_KEY_FILE",
        help="Ed25519 private key (PEM), kept off the database.",
    ),
]
PublicKeyOption = Annotated[
    Path | None,
    typer.Option("--public-key", envvar="HOTLINE_AUDIT_PUBLIC_KEY_FILE", help="Ed25519 public key (PEM)."),
]


def _settings() -> Settings:
    from hotline.cli import _settings as load

    return load()


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


async def _with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    engine = create_engine(settings, pooled=False)
    try:
        async with create_session_factory(engine)() as session:
            return await work(session)
    finally:
        await engine.dispose()


def _read(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    try:
        return asyncio.run(_with_session(settings, work))
    except CheckpointError:
        raise
    except Exception as exc:
        raise _fail(f"could not read the audit log: {type(exc).__name__}") from None


def _checkpoint(path: Path, public: Ed25519PublicKey) -> Checkpoint:
    held = Checkpoint.read(path)
    held.check_signature(public)
    return held


@audit_app.command("verify")
def verify_command(
    held: Annotated[
        str | None,
        typer.Option(
            "--anchor", help="HASH@SEQ from `hotline audit anchor`: prove nothing up to SEQ changed."
        ),
    ] = None,
    checkpoint: Annotated[
        Path | None,
        typer.Option("--checkpoint", help="A signed checkpoint: prove the entries it covers are unchanged."),
    ] = None,
    consistency: Annotated[
        tuple[Path, Path] | None,
        typer.Option("--consistency", help="OLD NEW checkpoints: prove NEW extends OLD, and the log NEW."),
    ] = None,
    public_key: PublicKeyOption = None,
) -> None:
    """Re-compute the whole chain; name the first broken, missing or reordered entry; check checkpoints."""
    try:
        parsed = Anchor.parse(held) if held is not None else None
    except BadAnchor as exc:
        raise _fail(str(exc)) from None
    checkpoints: list[Checkpoint] = []
    if checkpoint is not None or consistency is not None:
        if public_key is None:
            raise _fail("checking a checkpoint needs --public-key (or HOTLINE_AUDIT_PUBLIC_KEY_FILE)")
        try:
            public = signed.load_public_key(public_key)
            files = ([checkpoint] if checkpoint is not None else []) + list(consistency or ())
            checkpoints = [_checkpoint(path, public) for path in files]
        except CheckpointError as exc:
            raise _fail(str(exc)) from None
    settings = _settings()

    async def work(session: AsyncSession) -> tuple[Report, list[bytes] | None]:
        report = await verify(session, anchor=parsed)
        if report.problem is not None or not checkpoints:
            return report, None
        return report, await signed.leaves(session)

    try:
        report, tree = _read(settings, work)
    except CheckpointError as exc:
        raise _fail(str(exc)) from None
    if report.problem is not None:
        raise _fail(f"audit chain broken at {report.problem} (verified up to {report.head.seq})")
    notes: list[str] = []
    if parsed is not None:
        notes.append(f"anchor {parsed.seq} holds")
    try:
        if checkpoint is not None and tree is not None:
            signed.matches(checkpoints[0], tree)
            later = len(tree) - checkpoints[0].size
            notes.append(f"checkpoint {checkpoints[0].size} holds ({later} later entries not yet signed)")
        if consistency is not None and tree is not None:
            old, new = checkpoints[-2:]
            hashes = signed.consistent(old, new, tree)
            notes.append(f"checkpoint {new.size} extends checkpoint {old.size} ({hashes} proof hashes)")
    except CheckpointError as exc:
        raise _fail(str(exc)) from None
    suffix = "".join(f"; {note}" for note in notes)
    typer.echo(f"audit chain intact: {report.checked} entries, head {report.head}{suffix}")


@audit_app.command("anchor")
def anchor_command() -> None:
    """Print the head as HASH@SEQ, for an outside party to keep."""
    typer.echo(str(_read(_settings(), anchor)))


@audit_app.command("checkpoint")
def checkpoint_command(
    key: KeyOption,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Also write it to this file; a checkpoint already there must be extended."
        ),
    ] = None,
) -> None:
    """Sign the current tree head (size, root, time) and print it, for an outside party to keep."""
    try:
        private = signed.load_signing_key(key)
        previous = Checkpoint.read(out) if out is not None and out.exists() else None
    except CheckpointError as exc:
        raise _fail(str(exc)) from None
    settings = _settings()

    async def work(session: AsyncSession) -> Checkpoint:
        report = await verify(session)
        if report.problem is not None:
            raise CheckpointError(f"audit chain broken at {report.problem}: nothing signed")
        return await signed.take(session, private, system_clock, previous)

    try:
        made = _read(settings, work)
    except CheckpointError as exc:
        raise _fail(str(exc)) from None
    if out is not None:
        partial = out.with_name(out.name + ".partial")
        with partial.open("w", encoding="ascii") as handle:
            handle.write(made.text())
            handle.flush()
            os.fsync(handle.fileno())
        partial.replace(out)
    typer.echo(made.text(), nl=False)


@audit_app.command("prove")
def prove_command(
    seq: Annotated[int | None, typer.Option("--seq", min=1, help="Prove entry SEQ is in the tree.")] = None,
    old_size: Annotated[
        int | None, typer.Option("--old-size", min=0, help="Prove the tree of OLD_SIZE entries is a prefix.")
    ] = None,
    size: Annotated[
        int | None, typer.Option("--size", min=0, help="The tree to prove against (a checkpoint's size).")
    ] = None,
) -> None:
    """Print an inclusion proof (--seq) or a consistency proof (--old-size), as docs/audit.md describes."""
    if (seq is None) == (old_size is None):
        raise _fail("give one of --seq N or --old-size N")

    async def work(session: AsyncSession) -> str:
        tree = await signed.leaves(session, size)
        if seq is not None:
            if seq > len(tree):
                raise CheckpointError(f"entry {seq} is not in a tree of {len(tree)}")
            entry = await session.get(AuditEntry, seq)
            assert entry is not None
            return signed.inclusion_text(seq, tree, entry.hash)
        assert old_size is not None
        if old_size > len(tree):
            raise CheckpointError(f"a tree of {len(tree)} cannot extend one of {old_size}")
        return signed.consistency_text(old_size, tree)

    try:
        typer.echo(_read(_settings(), work), nl=False)
    except CheckpointError as exc:
        raise _fail(str(exc)) from None


@audit_app.command("keygen")
def keygen_command(
    out: Annotated[Path, typer.Option("--out", help="Where to write the new private key (PEM, mode 0600).")],
) -> None:
    """Make a signing key; print its public key, to hand to whoever keeps the checkpoints."""
    if out.exists():
        raise _fail(f"{out} exists: a signing key is never overwritten")
    key = signed.new_signing_key()
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(signed.private_pem(key))
    typer.echo(signed.public_pem(key.public_key()).decode("ascii"), nl=False)


@audit_app.command("public-key")
def public_key_command(key: KeyOption) -> None:
    """Print the public key (PEM) of the signing key."""
    try:
        private = signed.load_signing_key(key)
    except CheckpointError as exc:
        raise _fail(str(exc)) from None
    typer.echo(signed.public_pem(private.public_key()).decode("ascii"), nl=False)
