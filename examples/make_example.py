#!/usr/bin/env python3
"""Generate the bundled example account: examples/acme.toml and examples/acme.json.

Both files are written from one in-memory document, so they hold the same account. Everything is
deterministic (a fixed random seed) except the credential hashes: scrypt hashes are salted, and
the users' passwords, PINs and security answers are drawn at random from the operating system's
generator, hashed, and forgotten; they are written nowhere.

    python3 examples/make_example.py          # rewrite both files
"""

from __future__ import annotations

import random
import secrets
import string
import sys
from pathlib import Path
from typing import Any, cast

from extadmin.domain import rules
from extadmin.domain.catalog import (
    DEFAULT_ROLE,
    PREDEFINED_ROLES,
    SECURITY_QUESTIONS,
)
from extadmin.domain.hashing import hash_secret
from extadmin.domain.model import SCHEMA_VERSION, Document, Extension, User
from extadmin.errors import InvalidValue
from extadmin.storage.codec import encode
from extadmin.storage.schema import check_document

HERE = Path(__file__).resolve().parent
SEED = 20240521
DOMAIN = "acme-widgets.example"

SITES: list[dict[str, str]] = [
    {"name": "Main Site"},
    {"name": "Boston", "code": "2"},
    {"name": "Austin", "code": "3"},
]
# site -> full extension numbers (site code + short number)
NUMBERS: dict[str, range] = {
    "Main Site": range(101, 116),  # 101-115
    "Boston": range(2201, 2213),  # code 2 + 201-212
    "Austin": range(3301, 3309),  # code 3 + 301-308
}
# desk phones: model -> a real-looking vendor prefix (OUI) for its MAC address
PHONES: dict[str, str] = {
    "Polycom VVX 450": "00:04:F2",
    "Yealink T54W": "80:5E:C0",
    "Cisco 8841": "00:EB:D5",
}
# extension -> (model, with a MAC address?)
DEVICES: dict[str, tuple[str, bool]] = {
    "101": ("Polycom VVX 450", True),
    "102": ("Polycom VVX 450", True),
    "103": ("Polycom VVX 450", True),
    "104": ("Yealink T54W", True),
    "105": ("Yealink T54W", False),
    "110": ("Cisco 8841", True),
    "2201": ("Cisco 8841", True),
    "2202": ("Cisco 8841", True),
    "2205": ("Yealink T54W", False),
    "3301": ("Yealink T54W", True),
    "3302": ("Yealink T54W", True),
}

# The assigned users. Secrets for the `credentials` ones are generated below.
USERS: dict[str, dict[str, Any]] = {
    "101": {
        "first_name": "Dana",
        "last_name": "Whitfield",
        "job_title": "Office Manager",
        "department": "Operations",
        "role": "Super Admin",
        "contact_phone": "+13125550101",
        "recording": "off",
        "setup": "credentials",
        "status": "enabled",
        "temporary_password": False,
        "created_at": "2024-03-04T14:02:11+00:00",
    },
    "103": {
        "first_name": "Marcus",
        "last_name": "Chen",
        "job_title": "IT Manager",
        "department": "IT",
        "role": "Phone System Admin",
        "contact_phone": "+13125550103",
        "mobile_phone": "+13125550177",
        "recording": "both",
        "setup": "credentials",
        "status": "enabled",
        "temporary_password": False,
        "created_at": "2024-03-04T14:09:40+00:00",
    },
    "2201": {
        "first_name": "Priya",
        "last_name": "Raman",
        "job_title": "Regional Sales Manager",
        "department": "Sales",
        "role": "Manager",
        "contact_phone": "+16175550123",
        "mobile_phone": "+16175550188",
        "recording": "outbound",
        "setup": "credentials",
        "status": "enabled",
        "temporary_password": True,
        "created_at": "2024-03-11T09:30:00+00:00",
    },
    "3301": {
        "first_name": "Luis",
        "last_name": "Ortega",
        "job_title": "Support Specialist",
        "department": "Customer Support",
        "role": "Standard User",
        "contact_phone": "+15125550147",
        "language": "es-419",
        "greeting_language": "es-419",
        "recording": "inbound",
        "setup": "credentials",
        "status": "enabled",
        "temporary_password": True,
        "created_at": "2024-04-02T15:45:12+00:00",
    },
    "2203": {
        "first_name": "Sophie",
        "last_name": "Laurent",
        "job_title": "Account Executive",
        "department": "Sales",
        "role": DEFAULT_ROLE,
        "language": "fr-CA",
        "greeting_language": "fr-CA",
        "regional_format": "fr-CA",
        "recording": "off",
        "setup": "later",
        "status": "not-activated",
        "created_at": "2024-05-13T08:15:00+00:00",
    },
    "106": {
        "first_name": "Tom",
        "last_name": "Becker",
        "job_title": "Warehouse Lead",
        "department": "Logistics",
        "role": "Standard User",
        "recording": "off",
        "setup": "credentials",
        "status": "disabled",
        "temporary_password": False,
        "created_at": "2024-01-22T10:00:00+00:00",
    },
}

# answers to security questions: made up, drawn at random, never written in plain text
_ANSWER_WORDS = ("maple", "harbor", "copper", "lantern", "juniper", "orchid", "falcon", "summit")


def make_mac(rng: random.Random, prefix: str, used: set[str]) -> str:
    while True:
        tail = ":".join(f"{rng.randrange(256):02X}" for _ in range(3))
        mac = rules.mac_address(f"{prefix}:{tail}")  # upper-case, colon form, not multicast
        if mac not in used:
            used.add(mac)
            return mac


def make_password(personal: list[str]) -> str:
    alphabet = string.ascii_letters + string.digits + "!@#$%^&*."
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(16))
        try:
            return rules.password(candidate, personal=personal)
        except InvalidValue:  # breaks a rule (a run such as abc): draw again
            continue


def make_pin(extension: str, phones: list[str]) -> str:
    while True:
        candidate = "".join(secrets.choice(string.digits) for _ in range(8))
        try:
            return rules.pin(candidate, extension=extension, phones=phones)
        except InvalidValue:
            continue


def make_answer() -> str:
    words = [secrets.choice(_ANSWER_WORDS) for _ in range(2)]
    return rules.security_answer(f"{words[0]} {words[1]} {secrets.randbelow(90) + 10}")


def make_user(number: str, spec: dict[str, Any], question: str) -> User:
    """A user as `assign` stores one (same field order), every value through the same rules."""
    email = rules.email(f"{spec['first_name']}.{spec['last_name']}@{DOMAIN}".lower())
    user: dict[str, Any] = {
        "first_name": rules.first_name(spec["first_name"]),
        "last_name": rules.last_name(spec["last_name"]),
        "email": email,
    }
    for key in ("contact_phone", "mobile_phone"):
        if key in spec:
            user[key] = rules.phone(spec[key], "US", key, mobile=key == "mobile_phone")
    user["job_title"] = rules.text(spec["job_title"], "job title")
    user["department"] = rules.text(spec["department"], "department")
    user["role"] = spec["role"]
    for key in ("language", "greeting_language", "regional_format"):
        user[key] = rules.locale(spec.get(key, "en-US"), key)
    user["recording"] = rules.recording(spec["recording"])
    user["setup"] = rules.setup_option(spec["setup"])
    user["created_at"] = spec["created_at"]
    if spec["setup"] == "credentials":
        personal = [number, spec["first_name"], spec["last_name"], email.split("@")[0]]
        phones = [user[k] for k in ("contact_phone", "mobile_phone") if k in user]
        user["credentials"] = {
            "password_hash": hash_secret(make_password(personal)),
            "temporary_password": spec["temporary_password"],
            "pin_hash": hash_secret(make_pin(number, phones)),
            "security_question": question,
            "security_answer_hash": hash_secret(rules.normalise_answer(make_answer())),
        }
    return cast(User, user)


def build() -> Document:
    rng = random.Random(SEED)
    used_macs: set[str] = set()
    questions = list(SECURITY_QUESTIONS)
    extensions: list[Extension] = []
    for site, numbers in NUMBERS.items():
        for n in numbers:
            number = str(n)
            if number in rules.RESERVED_NUMBERS:  # 112, as `extension add 101-115` skips it
                continue
            ext: Extension = {"number": number, "site": site, "status": "unassigned"}
            if number in DEVICES:
                model, with_mac = DEVICES[number]
                ext["device"] = {"model": model}
                if with_mac:
                    ext["device"]["mac"] = make_mac(rng, PHONES[model], used_macs)
            if number in USERS:
                spec = USERS[number]
                ext["status"] = spec["status"]
                ext["user"] = make_user(number, spec, rng.choice(questions))
            extensions.append(ext)
    doc: Document = {
        "schema_version": SCHEMA_VERSION,
        "account": {
            "name": "Acme Widgets Inc.",
            "country": "US",
            "locale": "en-US",
            "default_role": DEFAULT_ROLE,
        },
        "sites": SITES,  # type: ignore[typeddict-item]
        "roles": list(PREDEFINED_ROLES),
        "extensions": extensions,
    }
    return doc


def main() -> int:
    doc = build()
    for name in ("acme.toml", "acme.json"):
        path = HERE / name
        check_document(path, doc)
        path.write_bytes(encode(path, doc))
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
