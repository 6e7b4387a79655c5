"""Synthetic accounts for the benchmarks, in four shapes (SHAPES), about a third of the
extensions with desk phones:

- half: three sites (two with codes), half the extensions assigned (a mix of enabled, invited
  and later users);
- unassigned: no users at all, as a new account before onboarding;
- rich: every extension assigned but the last (so that `assign` has one to take), every user
  with every optional field (phones, job title, Engage Voice access...);
- long: half assigned, names and titles near the 64-character limit and not all ASCII, over
  200 sites with codes.

    python benchmarks/generate.py 10000 /tmp/acct-10k.json [shape]   (.toml for TOML)
"""

from __future__ import annotations

import random
import sys
import unicodedata
from pathlib import Path
from typing import Any

from extadmin.domain.catalog import DEFAULT_ROLE, PREDEFINED_ROLES
from extadmin.domain.hashing import hash_secret
from extadmin.domain.model import SCHEMA_VERSION
from extadmin.storage import codec, schema
from extadmin.storage.files import write_atomic

SHAPES = ("unassigned", "half", "rich", "long")
SITES = [("Main Site", ""), ("Boston", "7"), ("Austin", "8")]
# 200 sites with two- and three-digit codes, names near the limit
MANY_SITES = [("Main Site", "")] + [
    (f"Région {i:03d} — Établissement secondaire de la Côte-d'Azur, Nice", str(i))
    for i in range(10, 209)
]
MODELS = ["Polycom VVX 450", "Yealink T54W", "Cisco 8841", "Poly Edge E350"]
FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "John", "Radia"]
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus"]
LONG_FIRST = [
    "María-José Inmaculada de la Concepción Guadalupe",
    "Jean-Baptiste Marie Théophile Émile-Auguste",
    "Zsófia Krisztina Erzsébet Borbála",
]
LONG_LAST = [
    "Fernández de Córdoba y Álvarez de las Asturias-Bohórquez",
    "Wolfeschlegelsteinhausenbergerdorff-Großmünster",
    "Ó Súilleabháin-Nic Giolla Phádraig",
]


def numbers(count: int, sites: list[tuple[str, str]] = SITES) -> list[tuple[str, str]]:
    """(number, site) pairs: the main site takes plain numbers, the others code + digits (five
    after a one-digit code, three after a longer one)."""
    out = []
    per_site = -(-count // len(sites))
    for name, code in sites:
        start = {0: 1000, 1: 10000}.get(len(code), 100)
        for i in range(per_site):
            if len(out) == count:
                break
            number = f"{code}{start + i}"
            if number not in ("911", "933", "988", "112", "999"):
                out.append((number, name))
    return out[:count]


def document(count: int, shape: str = "half", seed: int = 7) -> dict[str, Any]:
    if shape not in SHAPES:
        raise SystemExit(f"shape: one of {', '.join(SHAPES)} (got {shape!r})")
    rng = random.Random(seed)
    password_hash, pin_hash, answer_hash = (
        hash_secret(s) for s in ("B3nch!mark", "582941", "benchmark")
    )
    sites = MANY_SITES if shape == "long" else SITES
    pairs = numbers(count, sites)
    extensions = []
    for i, (number, site) in enumerate(pairs):
        ext: dict[str, Any] = {"number": number, "site": site, "status": "unassigned"}
        if rng.random() < 0.33 or shape == "rich":
            mac = f"00:04:F2:{i >> 16 & 255:02X}:{i >> 8 & 255:02X}:{i & 255:02X}"
            ext["device"] = {"model": rng.choice(MODELS), "mac": mac}
        assigned = {
            "unassigned": False,
            "half": i % 2 == 1,
            "long": i % 2 == 1,
            "rich": i < len(pairs) - 1,
        }[shape]
        if assigned:
            ext.update(user(rng, number, shape, (password_hash, pin_hash, answer_hash)))
        extensions.append(ext)
    return {
        "schema_version": SCHEMA_VERSION,
        "account": {
            "name": f"Bench {count} {shape}",
            "country": "US",
            "locale": "en-US",
            "default_role": DEFAULT_ROLE,
        },
        "sites": [{"name": n, **({"code": c} if c else {})} for n, c in sites],
        "roles": list(PREDEFINED_ROLES),
        "extensions": extensions,
    }


def user(
    rng: random.Random, number: str, shape: str, hashes: tuple[str, str, str]
) -> dict[str, Any]:
    """The status and user of an assigned extension."""
    setup = rng.choice(["credentials", "credentials", "invite", "later"])
    if shape == "long":
        first, last = rng.choice(LONG_FIRST), rng.choice(LONG_LAST)
        local = f"{first.split()[0].lower()}.{last.split()[-1].lower()}"
        local = unicodedata.normalize("NFKD", local).encode("ascii", "ignore").decode()
    else:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        local = f"{first.lower()}.{last.lower()}"
    person: dict[str, Any] = {
        "first_name": first,
        "last_name": last,
        "email": f"{local}.{number}@bench.example",
        "role": rng.choice(PREDEFINED_ROLES),
        "language": "en-US",
        "greeting_language": "en-US",
        "regional_format": "en-US",
        "recording": rng.choice(["off", "inbound", "outbound", "both"]),
        "setup": setup,
        "department": rng.choice(["Sales", "Support", "R&D"]),
        "created_at": "2026-01-05T09:00:00+00:00",
    }
    if shape == "long":
        person["job_title"] = "Senior Principal Customer Success Engineer, Enterprise (EMEA)"
        person["department"] = "Service d'assistance téléphonique aux entreprises — Niveau 2"
    if shape == "rich":
        person["unique_email"] = True
        person["contact_phone"] = f"+1650555{int(number) % 10000:04d}"
        person["mobile_phone"] = f"+1415555{int(number) % 10000:04d}"
        person["job_title"] = rng.choice(["Account Executive", "Support Engineer", "Designer"])
        person["engage_voice"] = {
            "access": rng.choice(["agent", "admin", "both"]),
            "agent_group": "Tier 1",
            "imported_at": "2026-01-06T09:00:00+00:00",
        }
    password_hash, pin_hash, answer_hash = hashes
    if setup == "credentials":
        person["credentials"] = {
            "password_hash": password_hash,
            "temporary_password": False,
            "pin_hash": pin_hash,
            "security_question": "In what city were you born?",
            "security_answer_hash": answer_hash,
        }
        status = "enabled"
    else:
        status = "not-activated"
    if setup == "invite":
        person["activation"] = {
            "token_hash": "sha256$" + "0" * 64,
            "expires_at": "2030-01-01T00:00:00+00:00",
        }
    return {"status": status, "user": person}


def write(count: int, path: Path, shape: str = "half") -> Path:
    doc = document(count, shape)
    schema.check_document(path, doc)
    write_atomic(path, codec.encode(path, doc))
    return path


if __name__ == "__main__":
    write(int(sys.argv[1]), Path(sys.argv[2]), *sys.argv[3:4])
