"""Secrets are hashed at today's recommendation (OWASP: scrypt N=2^17, r=8, p=1); hashes made
by earlier versions (N=2^14) still verify and are told apart for rehashing; a stored hash whose
parameters a hand-edited file has raised is refused before anything is hashed (issue 13)."""

from __future__ import annotations

import base64
import hashlib
import time
from typing import Any

import pytest

from extadmin.domain import hashing
from extadmin.services.assign import NewCredentials, hash_secrets

pytestmark = pytest.mark.real_hashing

SECRET = "Kiwi9#Plum"
# Written by extadmin before issue 13 (scrypt N=2^14, r=8, p=1), for SECRET.
OLD_HASH = (
    "scrypt$n=16384,r=8,p=1$WQKbCeZbszeejJWM8hbAsQ$7EzgVolAxhMACRDBqMbS/DISd5y3imTnJA8jUs+74zI"
)
SALT, DIGEST = OLD_HASH.split("$")[2:]


@pytest.fixture(scope="module")
def new_hash() -> str:
    """One hash at the defaults (a few tenths of a second), shared by the tests below."""
    return hashing.hash_secret(SECRET)


def test_a_new_hash_has_the_owasp_scrypt_parameters(new_hash: str) -> None:
    assert new_hash.startswith("scrypt$n=131072,r=8,p=1$")
    assert (hashing.SCRYPT_N, hashing.SCRYPT_R, hashing.SCRYPT_P) == (2**17, 8, 1)
    assert hashing.verify_secret(SECRET, new_hash)
    assert not hashing.verify_secret(SECRET + " ", new_hash)
    assert not hashing.needs_rehash(new_hash)


def test_a_hash_from_before_still_verifies_and_needs_rehash() -> None:
    assert hashing.verify_secret(SECRET, OLD_HASH)
    assert not hashing.verify_secret("Kiwi9#plum", OLD_HASH)
    assert hashing.needs_rehash(OLD_HASH)
    made_now = hashing.hash_secret(SECRET, n=2**14)
    assert made_now.startswith("scrypt$n=16384,r=8,p=1$")
    assert hashing.verify_secret(SECRET, made_now)
    assert hashing.needs_rehash(made_now)


def test_the_format_is_standard_scrypt() -> None:
    """RFC 7914's test vector, written in extadmin's format, verifies."""
    digest = bytes.fromhex(
        "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
        "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"
    )
    b64 = base64.b64encode(digest).decode().rstrip("=")
    assert hashing.verify_secret("password", f"scrypt$n=1024,r=8,p=16$TmFDbA${b64}")
    assert not hashing.verify_secret("passw0rd", f"scrypt$n=1024,r=8,p=16$TmFDbA${b64}")


def test_secrets_set_now_get_todays_parameters() -> None:
    """assign, activate and bulk-assign all hash through hash_secrets: a secret set again
    replaces an old hash with one at today's parameters."""
    secrets = NewCredentials("Zebra7!Quix", "582941", "1", "My First Pet", temporary_password=False)
    credentials: dict[str, Any] = dict(hash_secrets(secrets))
    for key in ("password_hash", "pin_hash", "security_answer_hash"):
        assert credentials[key].startswith("scrypt$n=131072,r=8,p=1$"), key
        assert not hashing.needs_rehash(credentials[key])


REFUSED = {
    "n=2^30 (128 GiB)": f"scrypt$n={2**30},r=8,p=1${SALT}${DIGEST}",
    "n=2^20 (1 GiB)": f"scrypt$n={2**20},r=8,p=1${SALT}${DIGEST}",
    "n=2^19,r=16 (1 GiB)": f"scrypt$n={2**19},r=16,p=1${SALT}${DIGEST}",
    "p=16 (16 times the work)": f"scrypt$n={2**17},r=8,p=16${SALT}${DIGEST}",
    "n not a power of two": f"scrypt$n=16000,r=8,p=1${SALT}${DIGEST}",
    "n=1": f"scrypt$n=1,r=8,p=1${SALT}${DIGEST}",
    "n=0": f"scrypt$n=0,r=8,p=1${SALT}${DIGEST}",
    "n negative": f"scrypt$n=-16384,r=8,p=1${SALT}${DIGEST}",
    "r=1000": f"scrypt$n=16384,r=1000,p=1${SALT}${DIGEST}",
    "p=1000": f"scrypt$n=16384,r=8,p=1000${SALT}${DIGEST}",
    "r=0": f"scrypt$n=16384,r=0,p=1${SALT}${DIGEST}",
    "p=0": f"scrypt$n=16384,r=8,p=0${SALT}${DIGEST}",
    "n of 5000 digits": f"scrypt$n={'9' * 5000},r=8,p=1${SALT}${DIGEST}",
    "no p": f"scrypt$n=16384,r=8${SALT}${DIGEST}",
    "another parameter": f"scrypt$n=16384,r=8,p=1,q=2${SALT}${DIGEST}",
    "n twice": f"scrypt$n=16384,n=16384,r=8,p=1${SALT}${DIGEST}",
    "semicolons": f"scrypt$n=16384;r=8;p=1${SALT}${DIGEST}",
    "n an expression": f"scrypt$n=2**14,r=8,p=1${SALT}${DIGEST}",
    "another scheme": f"bcrypt$n=16384,r=8,p=1${SALT}${DIGEST}",
    "salt not base64": f"scrypt$n=16384,r=8,p=1$!!not base64!!${DIGEST}",
    "hash not ASCII": f"scrypt$n=16384,r=8,p=1${SALT}$\u00e9{DIGEST}",
    "no hash": f"scrypt$n=16384,r=8,p=1${SALT}$",
    "hash too long": f"scrypt$n=16384,r=8,p=1${SALT}${DIGEST * 40}",
    "salt too long": f"scrypt$n=16384,r=8,p=1${SALT * 40}${DIGEST}",
    "a fifth field": f"scrypt$n=16384,r=8,p=1${SALT}${DIGEST}$",
    "empty": "",
    "scheme only": "scrypt",
    "empty fields": "scrypt$$$",
    "a token hash": "sha256$" + "0" * 64,
}


@pytest.mark.parametrize("stored", REFUSED.values(), ids=REFUSED.keys())
def test_a_malformed_or_oversized_hash_is_refused_before_any_hashing(
    stored: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hand-edited file: no MemoryError, no allocation, no minutes of hashing; just False."""

    def scrypt(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("hashed with parameters from a refused hash")

    monkeypatch.setattr(hashlib, "scrypt", scrypt)
    start = time.perf_counter()
    assert hashing.verify_secret(SECRET, stored) is False
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("stored", REFUSED.values(), ids=REFUSED.keys())
def test_a_refused_hash_needs_rehash(stored: str) -> None:
    assert hashing.needs_rehash(stored)


@pytest.mark.parametrize(("n", "r", "p"), [(2**20, 8, 1), (3000, 8, 1), (2**14, 0, 1)])
def test_hashing_with_parameters_out_of_bounds_is_refused(n: int, r: int, p: int) -> None:
    with pytest.raises(ValueError, match="out of bounds"):
        hashing.hash_secret(SECRET, n=n, r=r, p=p)
