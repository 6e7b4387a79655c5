"""Secrets are stored only as salted scrypt hashes (memory-hard; standard library), with the
parameters recorded beside the hash:
    scrypt$n=131072,r=8,p=1$<16-byte salt, base64>$<32-byte hash, base64>
N=2^17, r=8, p=1 is OWASP's scrypt recommendation: 128 MiB of memory (128 * r * n bytes) and
about half a second of one core a hash. Hashes made with other parameters still verify, such as
the n=16384 ones of versions before issue 13; `needs_rehash` tells which fall below today's. A
secret set again (assign, activate, bulk-assign) is always hashed afresh with today's.
The parameters read from a stored hash are bounded before anything is hashed (n a power of two,
at most 4 times today's memory and 4 times its work n * r * p), so that a hand-edited file
cannot make extadmin allocate gigabytes or hash for minutes: such a hash does not verify.
Activation tokens are random 256-bit values; they are stored as SHA-256 digests (a fast hash is
right for a high-entropy token and keeps bulk invitations fast)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from typing import NamedTuple

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1  # 128 MiB of memory per hash (128 * r * n bytes)
_MAX_MEMORY = 4 * 128 * SCRYPT_R * SCRYPT_N  # 512 MiB: what a stored hash may ask for at most
_MAX_WORK = 4 * SCRYPT_N * SCRYPT_R * SCRYPT_P  # n * r * p, which the time grows with
_MAX_R, _MAX_P = 64, 16
_MAX_BYTES = 64  # salt and hash length


class Params(NamedTuple):
    n: int
    r: int
    p: int


# What a secret is hashed with: OWASP's parameters. Nothing in extadmin's configuration changes
# it; the test suite lowers it for the tests that only need a hash to exist (tests/conftest.py).
COST = Params(SCRYPT_N, SCRYPT_R, SCRYPT_P)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _bounded(n: int, r: int, p: int) -> bool:
    """Parameters extadmin will hash with: valid for scrypt and within the memory and work
    bounds (checked before anything is allocated)."""
    return (
        1 < n
        and n & (n - 1) == 0
        and 1 <= r <= _MAX_R
        and 1 <= p <= _MAX_P
        and 128 * r * n <= _MAX_MEMORY
        and n * r * p <= _MAX_WORK
    )


def _maxmem(n: int, r: int, p: int) -> int:
    """The memory OpenSSL needs for these parameters (V: 128*r*(n+2), B: 128*r*p), with room."""
    return 128 * r * (n + 2) + 128 * r * p + 1024 * 1024


def _scrypt(secret: str, salt: bytes, params: Params, dklen: int) -> bytes:
    n, r, p = params
    return hashlib.scrypt(
        secret.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_maxmem(n, r, p), dklen=dklen
    )


def _parse(stored: str) -> tuple[Params, bytes, bytes] | None:
    """The parameters, salt and hash of a stored hash; None if it is not one extadmin would
    check (malformed, another scheme, or parameters out of bounds)."""
    try:
        scheme, fields, salt_b64, digest_b64 = stored.split("$")
        pairs = [item.split("=") for item in fields.split(",")]
        values = {key: int(value) for key, value in pairs}
        if scheme != "scrypt" or len(pairs) != 3 or values.keys() != {"n", "r", "p"}:
            return None
        params = Params(values["n"], values["r"], values["p"])
        salt, digest = _unb64(salt_b64), _unb64(digest_b64)
    except ValueError:  # binascii.Error is one too
        return None
    if not _bounded(*params) or len(salt) > _MAX_BYTES or not 16 <= len(digest) <= _MAX_BYTES:
        return None
    return params, salt, digest


def hash_secret(
    secret: str, *, n: int | None = None, r: int | None = None, p: int | None = None
) -> str:
    """A new salted hash of `secret`, with COST's parameters but for those given."""
    n = COST.n if n is None else n
    r = COST.r if r is None else r
    p = COST.p if p is None else p
    if not _bounded(n, r, p):
        raise ValueError(f"scrypt parameters out of bounds: n={n}, r={r}, p={p}")
    salt = os.urandom(16)
    digest = _scrypt(secret, salt, Params(n, r, p), 32)
    return f"scrypt$n={n},r={r},p={p}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, stored: str) -> bool:
    parsed = _parse(stored)
    if parsed is None:
        return False
    params, salt, expected = parsed
    return hmac.compare_digest(_scrypt(secret, salt, params, len(expected)), expected)


def needs_rehash(stored: str) -> bool:
    """Whether a stored hash falls below today's parameters (or is not one that verifies): the
    secret should be hashed again the next time it is known."""
    parsed = _parse(stored)
    if parsed is None:
        return True
    n, r, p = parsed[0]
    return n < COST.n or r < COST.r or p < COST.p


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return "sha256$" + hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


def verify_token(token: str, stored: str) -> bool:
    return hmac.compare_digest(hash_token(token), stored)
