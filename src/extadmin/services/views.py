"""The public shape of extensions and users, shared by every output. Never a secret: the
credentials show only whether each is set."""

from __future__ import annotations

from typing import Any

from extadmin.domain.account import Account, user_name, without_code
from extadmin.domain.catalog import RECORDING_PLATFORM
from extadmin.domain.fields import USER_FIELDS
from extadmin.domain.model import Extension, User


def device_view(ext: Extension) -> dict[str, str | None] | None:
    device = ext.get("device")
    return None if device is None else {"model": device["model"], "mac": device.get("mac")}


def extension_rows(
    account: Account, exts: list[Extension], *, users: bool = True
) -> list[dict[str, Any]]:
    """Extensions in a list: extension list, and without the user's columns list-unassigned
    (an account may list 100,000: the site codes are looked up once, not once a row)."""
    codes = {site["name"]: site.get("code", "") for site in account.sites}
    rows = []
    for ext in exts:
        number = ext.get("number")
        code = codes.get(ext["site"])  # None: the site named in another case
        short = account.short_number(ext) if code is None else without_code(number or "", code)
        row: dict[str, Any] = {
            "extension": number,
            "short_extension": short,
            "site": ext["site"],
        }
        if users:
            row["status"] = ext["status"]
        row["device"] = device_view(ext)
        if users:
            user = ext.get("user")
            row["name"] = user_name(user) if user else None
            row["email"] = user["email"] if user else None
            row["recording"] = user["recording"] if user else None
        if "id" in ext:
            row["id"] = ext["id"]
        rows.append(row)
    return rows


def unassigned_rows(account: Account, exts: list[Extension]) -> list[dict[str, Any]]:
    """list-unassigned's rows: extension_rows without the user's columns."""
    return extension_rows(account, exts, users=False)


def user_rows(
    account: Account, exts: list[Extension], role: str | None = None
) -> list[dict[str, Any]]:
    """users list: the users of these extensions (with `role` only, in any case)."""
    wanted = account.role_named(role)
    return [
        {
            "extension": e["number"],
            "site": e["site"],
            "status": e["status"],
            "first_name": e["user"]["first_name"],
            "last_name": e["user"]["last_name"],
            "email": e["user"]["email"],
            "role": e["user"]["role"],
            "department": e["user"].get("department", ""),
            "recording": e["user"]["recording"],
        }
        for e in exts
        if "user" in e and (wanted is None or e["user"]["role"] == wanted)
    ]


def recording_rows(account: Account, exts: list[Extension]) -> list[dict[str, Any]]:
    """recording list: the users of these extensions whose calls are recorded."""
    return [
        {
            "extension": e["number"],
            "name": user_name(e["user"]),
            "site": e["site"],
            "recording": e["user"]["recording"],
            "call_direction": RECORDING_PLATFORM[e["user"]["recording"]],
        }
        for e in exts
        if "user" in e and e["user"]["recording"] != "off"
    ]


def engage_rows(account: Account, exts: list[Extension]) -> list[dict[str, Any]]:
    """engage-voice list: the users of these extensions with Engage Voice access."""
    return [
        {"extension": e["number"], **e["user"]["engage_voice"]}
        for e in exts
        if "engage_voice" in e.get("user", {})
    ]


def user_view(user: User) -> dict[str, Any]:
    creds = user.get("credentials", {})
    view: dict[str, Any] = {key: user.get(key, "") for key in (*USER_FIELDS, "setup")}
    # a user pulled from the platform: set up there, languages as set there until read
    view["unique_email"] = user.get("unique_email", True)
    view["password_set"] = "password_hash" in creds
    view["temporary_password"] = creds.get("temporary_password", False)
    view["pin_set"] = "pin_hash" in creds
    view["security_question"] = creds.get("security_question")
    activation = user.get("activation")
    view["invite_expires_at"] = activation["expires_at"] if activation else None
    engage = user.get("engage_voice")
    view["engage_voice"] = dict(engage) if engage else None
    view["created_at"] = user.get("created_at")
    return view


def extension_detail(account: Account, ext: Extension) -> dict[str, Any]:
    """One extension in full (extension show)."""
    user = ext.get("user")
    detail = {
        "extension": ext.get("number"),
        "short_extension": account.short_number(ext),
        "site": ext["site"],
        "status": ext["status"],
        "device": device_view(ext),
        "user": user_view(user) if user else None,
    }
    if "id" in ext:
        detail["id"] = ext["id"]
    return detail
