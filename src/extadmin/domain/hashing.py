"""Secrets are stored only as salted scrypt hashes (memory-hard; standard library), with the
parameters recorded beside the hash so they can be raised later:
    scrypt$n=16384,r=8,p=1$<salt, base64>$<hash, base64>
Activation tokens are random 256-bit values; they are stored as SHA-256 digests (a fast hash is
right for a high-entropy token and keeps bulk invitations fast)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1  # 16 MiB of memory per hash
_MAXMEM = 64 * 1024 * 1024


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def hash_secret(secret: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(
        secret.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=32
    )
    return f"scrypt$n={n},r={r},p={p}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, stored: str) -> bool:
    try:
        scheme, params, salt, digest = stored.split("$")
        values = dict(item.split("=") for item in params.split(","))
        n, r, p = int(values["n"]), int(values["r"]), int(values["p"])
    except (ValueError, KeyError):
        return False
    if scheme != "scrypt":
        return False
    expected = _unb64(digest)
    actual = hashlib.scrypt(
        secret.encode("utf-8"),
        salt=_unb64(salt),
        n=n,
        r=r,
        p=p,
        maxmem=_MAXMEM,
        dklen=len(expected),
    )
    return hmac.compare_digest(actual, expected)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return "sha256$" + hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


def verify_token(token: str, stored: str) -> bool:
    return hmac.compare_digest(hash_token(token), stored)
