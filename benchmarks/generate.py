"""Synthetic accounts for the benchmarks: N extensions over three sites (two with codes), half
assigned (a mix of enabled, invited and later users), about a third with desk phones.

    python benchmarks/generate.py 10000 /tmp/acct-10k.json   (.toml for TOML)
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

from extadmin.domain.catalog import DEFAULT_ROLE, PREDEFINED_ROLES
from extadmin.domain.hashing import hash_secret
from extadmin.domain.model import SCHEMA_VERSION
from extadmin.storage import codec, schema
from extadmin.storage.files import write_atomic

SITES = [("Main Site", ""), ("Boston", "7"), ("Austin", "8")]
MODELS = ["Polycom VVX 450", "Yealink T54W", "Cisco 8841", "Poly Edge E350"]
FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "John", "Radia"]
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus"]


def numbers(count: int) -> list[tuple[str, str]]:
    """(number, site) pairs: the main site takes plain numbers, the others code + 5 digits."""
    out = []
    per_site = -(-count // len(SITES))
    for name, code in SITES:
        start = 10000 if code else 1000
        for i in range(per_site):
            if len(out) == count:
                break
            number = f"{code}{start + i}"
            if number not in ("911", "933", "988", "112", "999"):
                out.append((number, name))
    return out[:count]


def document(count: int, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    password_hash, pin_hash, answer_hash = (
        hash_secret(s) for s in ("B3nch!mark", "582941", "benchmark")
    )
    extensions = []
    for i, (number, site) in enumerate(numbers(count)):
        ext: dict[str, Any] = {"number": number, "site": site, "status": "unassigned"}
        if rng.random() < 0.33:
            mac = f"00:04:F2:{i >> 16 & 255:02X}:{i >> 8 & 255:02X}:{i & 255:02X}"
            ext["device"] = {"model": rng.choice(MODELS), "mac": mac}
        if i % 2:
            setup = rng.choice(["credentials", "credentials", "invite", "later"])
            first, last = rng.choice(FIRST), rng.choice(LAST)
            user: dict[str, Any] = {
                "first_name": first,
                "last_name": last,
                "email": f"{first.lower()}.{last.lower()}.{number}@bench.example",
                "role": rng.choice(PREDEFINED_ROLES),
                "language": "en-US",
                "greeting_language": "en-US",
                "regional_format": "en-US",
                "recording": rng.choice(["off", "inbound", "outbound", "both"]),
                "setup": setup,
                "department": rng.choice(["Sales", "Support", "R&D"]),
                "created_at": "2026-01-05T09:00:00+00:00",
            }
            if setup == "credentials":
                user["credentials"] = {
                    "password_hash": password_hash,
                    "temporary_password": False,
                    "pin_hash": pin_hash,
                    "security_question": "In what city were you born?",
                    "security_answer_hash": answer_hash,
                }
                ext["status"] = "enabled"
            else:
                ext["status"] = "not-activated"
            if setup == "invite":
                user["activation"] = {
                    "token_hash": "sha256$" + "0" * 64,
                    "expires_at": "2030-01-01T00:00:00+00:00",
                }
            ext["user"] = user
        extensions.append(ext)
    return {
        "schema_version": SCHEMA_VERSION,
        "account": {
            "name": f"Bench {count}",
            "country": "US",
            "locale": "en-US",
            "default_role": DEFAULT_ROLE,
        },
        "sites": [{"name": n, **({"code": c} if c else {})} for n, c in SITES],
        "roles": list(PREDEFINED_ROLES),
        "extensions": extensions,
    }


def write(count: int, path: Path) -> Path:
    doc = document(count)
    schema.check_document(path, doc)
    write_atomic(path, codec.encode(path, doc))
    return path


if __name__ == "__main__":
    write(int(sys.argv[1]), Path(sys.argv[2]))
