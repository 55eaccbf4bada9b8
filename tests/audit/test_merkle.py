"""The Merkle tree is RFC 9162's: its roots match the published test vectors, and every proof it
gives verifies while any changed proof, leaf, index or root is refused."""

from __future__ import annotations

import hashlib

import pytest

from hotline.audit import merkle

# The leaves and roots of the Certificate Transparency reference test vectors (RFC 6962's tree).
LEAF_DATA = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def reference_root(leaves: list[bytes]) -> bytes:
    """MTH exactly as RFC 9162 2.1.1 writes it, recursively."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return merkle.node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


def leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(hashlib.sha256(str(i).encode()).digest()) for i in range(n)]


def test_roots_match_the_certificate_transparency_test_vectors() -> None:
    hashed = [merkle.leaf_hash(bytes.fromhex(data)) for data in LEAF_DATA]
    assert merkle.root([]).hex() == hashlib.sha256(b"").hexdigest()
    for size, expected in enumerate(ROOTS, start=1):
        assert merkle.root(hashed[:size]).hex() == expected


@pytest.mark.parametrize("size", range(0, 34))
def test_the_root_is_the_rfc_split_for_every_size(size: int) -> None:
    tree = leaves(size)
    assert merkle.root(tree) == reference_root(tree)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 8, 9, 13, 16, 17, 31])
def test_every_inclusion_proof_verifies_and_a_changed_one_does_not(size: int) -> None:
    tree = leaves(size)
    top = merkle.root(tree)
    for index in range(size):
        path = merkle.inclusion_proof(index, tree)
        merkle.verify_inclusion(index, size, tree[index], path, top)
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(index, size, merkle.leaf_hash(b"forged"), path, top)
        if size > 1:
            with pytest.raises(merkle.ProofError):
                merkle.verify_inclusion((index + 1) % size, size, tree[index], path, top)
            with pytest.raises(merkle.ProofError):
                merkle.verify_inclusion(index, size, tree[index], path[:-1], top)
            with pytest.raises(merkle.ProofError):
                merkle.verify_inclusion(index, size, tree[index], [*path, top], top)
            changed = [bytes(32), *path[1:]]
            with pytest.raises(merkle.ProofError):
                merkle.verify_inclusion(index, size, tree[index], changed, top)


@pytest.mark.parametrize("new_size", [1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 17, 20])
def test_every_consistency_proof_verifies_and_a_changed_one_does_not(new_size: int) -> None:
    tree = leaves(new_size)
    new_root = merkle.root(tree)
    for old_size in range(0, new_size + 1):
        old_root = merkle.root(tree[:old_size])
        proof = merkle.consistency_proof(old_size, tree)
        merkle.verify_consistency(old_size, new_size, old_root, new_root, proof)
        if 0 < old_size < new_size:
            with pytest.raises(merkle.ProofError):
                merkle.verify_consistency(old_size, new_size, merkle.leaf_hash(b"x"), new_root, proof)
            with pytest.raises(merkle.ProofError):
                merkle.verify_consistency(old_size, new_size, old_root, merkle.leaf_hash(b"x"), proof)
            with pytest.raises(merkle.ProofError):
                merkle.verify_consistency(old_size, new_size, old_root, new_root, proof[:-1])
            with pytest.raises(merkle.ProofError):
                merkle.verify_consistency(old_size, new_size, old_root, new_root, [*proof, new_root])


def test_a_history_rewritten_below_the_old_size_has_no_consistency_proof() -> None:
    """A tree whose first leaves changed does not extend the old one, whatever proof it offers."""
    old = leaves(6)
    rewritten = [old[0], merkle.leaf_hash(b"forged"), *leaves(9)[2:]]
    proof = merkle.consistency_proof(6, rewritten)
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(6, 9, merkle.root(old), merkle.root(rewritten), proof)
