"""Passwords, PINs and security answers are never stored, printed, logged or echoed in plain
text (SPEC "Secrets"): after assignments with credentials, an activation with a token, an
activation by an administrator and a refused attempt, none of the secrets appears in the
account file, the audit log, the outbox, or anything printed."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import unquote

from extadmin.domain.hashing import verify_secret
from extadmin.domain.rules import normalise_answer


@dataclass
class SecretSet:
    password: str
    pin: str
    answer: str

    def values(self) -> list[str]:
        return [self.password, self.pin, self.answer, normalise_answer(self.answer)]

    def write(self, folder: Path) -> list[str]:
        folder.mkdir()
        for name in ("password", "pin", "answer"):
            (folder / name).write_text(getattr(self, name) + "\n")
        return [
            "--password-file",
            str(folder / "password"),
            "--pin-file",
            str(folder / "pin"),
            "--security-question",
            "4",
            "--security-answer-file",
            str(folder / "answer"),
        ]


ASSIGNED = SecretSet("Zebra7!Quix", "5820417396", "Fluffy the Cat")
BY_TOKEN = SecretSet("Kiwi9#Plum", "7305928164", "Marble Arch Road")
BY_ADMIN = SecretSet("Mango4$Tree", "6193057284", "Copper Kettle")
REFUSED = SecretSet("Zebra7!Quixabc", "4815926037", "Velvet Morning")


def everything_written(account: Path) -> dict[str, str]:
    """Every file extadmin keeps beside the account: the account, audit log, lock, outbox."""
    out = {}
    for path in sorted(account.parent.rglob("*")):
        inputs = any(part.startswith("secrets") for part in path.relative_to(account.parent).parts)
        if path.is_file() and not inputs:
            out[str(path)] = path.read_bytes().decode("utf-8", errors="replace")
    return out


def test_no_secret_in_plain_text_anywhere(run, account: Path, tmp_path: Path) -> None:
    printed: list[str] = []

    def call(*args: object, code: int = 0) -> None:
        result = run(*args)
        printed.extend([result.out, result.err])
        assert result.code == code, result.err

    ada = ("--first-name", "Ada", "--last-name", "Lovelace", "--email", "ada@example.com")
    call("assign", "101", "--setup", "credentials", *ada, *ASSIGNED.write(tmp_path / "secrets"))
    call("extension", "show", "101", "--format", "json")
    call("extension", "show", "101")

    bob = ("--first-name", "Bob", "--last-name", "Ng", "--email", "bob@example.com")
    call("assign", "102", "--setup", "invite", *bob, "--format", "json")
    (eml,) = account.with_name("acme.outbox").glob("*.eml")
    msg = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    text = msg.get_body(preferencelist=("plain",)).get_content()
    token = unquote(re.search(r"[?&]token=([^&\s]+)", text).group(1))
    (tmp_path / "token").write_text(token + "\n")
    call(
        "activate",
        "102",
        "--token-file",
        tmp_path / "token",
        *BY_TOKEN.write(tmp_path / "secrets-token"),
    )

    cy = ("--first-name", "Cy", "--last-name", "Doe", "--email", "cy@example.com")
    call("assign", "104", "--setup", "later", *cy)
    call("activate", "104", *BY_ADMIN.write(tmp_path / "secrets-admin"), "--format", "json")

    eve = ("--first-name", "Eve", "--last-name", "Ng", "--email", "eve@example.com")
    refused = REFUSED.write(tmp_path / "secrets-refused")
    call("assign", "105", "--setup", "credentials", *eve, *refused, code=3)
    call("extension", "list", "--format", "json")
    call("list-unassigned", "--format", "json")

    # the secrets did take effect: they were hashed, not dropped
    doc = tomllib.loads(account.read_text("utf-8"))
    users = {e["number"]: e.get("user") for e in doc["extensions"]}
    for number, secrets in (("101", ASSIGNED), ("102", BY_TOKEN), ("104", BY_ADMIN)):
        creds = users[number]["credentials"]
        assert verify_secret(secrets.password, creds["password_hash"])
        assert verify_secret(secrets.pin, creds["pin_hash"])
        assert verify_secret(normalise_answer(secrets.answer), creds["security_answer_hash"])
    assert users["105"] is None

    written = everything_written(account)
    assert str(account) in written
    assert str(account.with_name("acme.audit.jsonl")) in written
    assert any(".outbox" in name for name in written)
    for secrets in (ASSIGNED, BY_TOKEN, BY_ADMIN, REFUSED):
        for secret in secrets.values():
            for name, content in written.items():
                assert secret not in content, f"{secret!r} found in {name}"
            for output in printed:
                assert secret not in output, f"{secret!r} printed"


def test_the_audit_log_records_the_fact_not_the_values(run, account: Path, tmp_path: Path) -> None:
    ada = ("--first-name", "Ada", "--last-name", "Lovelace", "--email", "ada@example.com")
    args = ASSIGNED.write(tmp_path / "secrets")
    assert run("assign", "101", "--setup", "credentials", *ada, *args).code == 0
    last = account.with_name("acme.audit.jsonl").read_text("utf-8").splitlines()[-1]
    assert '"action": "assign"' in last and '"extension": "101"' in last
    assert '"credentials": "set"' in last
    assert "hash" not in last and "scrypt" not in last
