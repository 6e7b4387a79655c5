"""An extension as the commands show it: its device, its number or platform id, and every field
in full (extension show, users show, assign, activate)."""

from __future__ import annotations

from typing import Any

from extadmin import render
from extadmin.domain.account import Account
from extadmin.domain.fields import label
from extadmin.domain.model import Extension
from extadmin.services import views


def device_model(row: dict[str, object]) -> object:
    device = row.get("device")
    return device["model"] if isinstance(device, dict) else None


def mac_address(row: dict[str, object]) -> object:
    device = row.get("device")
    return device["mac"] if isinstance(device, dict) else None


def number_or_id(row: dict[str, Any]) -> object:
    """An extension pulled without a number is shown by its platform id."""
    return row["extension"] or f"id {row['id']}"


def show(account: Account, ext: Extension, fmt: str, **extra: Any) -> dict[str, Any]:
    """An extension in full, in the format asked for (with `extra` keys, such as the welcome
    email just queued); what was shown."""
    detail = {**views.extension_detail(account, ext), **extra}
    render.emit_fields(detail, fmt, detail_fields(detail))
    return detail


def detail_fields(detail: dict[str, Any]) -> list[tuple[str, object]]:
    """The rows of an extension shown in full (extension show, assign, activate), each field
    under its one label (catalog.label)."""
    fields: list[tuple[str, object]] = [
        (label("extension"), detail["extension"]),
        (label("short_extension"), detail["short_extension"]),
        (label("site"), detail["site"]),
        (label("status"), detail["status"]),
        ("Device", device_model(detail)),
        ("MAC", mac_address(detail)),
    ]
    if "id" in detail:
        fields.append(("Platform id", detail["id"]))
    user = detail["user"]
    if user:
        fields += [(label(k), v) for k, v in user.items() if k != "engage_voice"]
        fields.append(("Engage Voice", _engage(user["engage_voice"])))
    email = detail.get("welcome_email")
    if email:
        state = "delivered" if email["delivered"] else f"queued ({email['error'] or 'no server'})"
        fields.append(("Welcome email", f"{email['to']}: {state}"))
    return fields


def _engage(engage: dict[str, str] | None) -> str:
    if not engage:
        return "no access"
    group = engage.get("agent_group")
    return engage["access"] + (f" (agent group {group})" if group else "")
