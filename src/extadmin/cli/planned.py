"""The plan in words (`platform plan`, and `platform apply` before it asks): where it goes, one
line per user grouped by effect, old → new for updates, and a summary; the REST requests
only on request, each body pretty-printed. Lines are wrapped to the terminal's width."""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from collections.abc import Iterator
from typing import TYPE_CHECKING

from extadmin.domain.fields import label
from extadmin.render import safe
from extadmin.services.sync import DEFAULT_LIMITS, Planned

if TYPE_CHECKING:
    from extadmin.platform.changes import Change

# the effects, in the order the plan lists them
EFFECTS = (
    (
        "offboard",
        "keep",
        "remove the user; the digital line returns to the account as an unassigned extension; "
        "the number stays with the company",
    ),
    (
        "offboard",
        "release",
        "remove the user; the digital line and its number go back to RingCentral (the "
        "extension leaves the account)",
    ),
    ("assign", "invite", "assign (send invite): RingCentral emails an activation link"),
    ("assign", "credentials", "assign (credentials): needs password, PIN and answer at apply"),
    ("assign", "later", "assign (set up later): no email; `extadmin activate` later"),
    ("assign", "", "assign"),
    ("update", "", "update"),
    ("conflict", "", "conflict"),
    ("not applied", "", "not applied"),
)


KINDS = {
    "offboard": "to offboard",
    "assign": "to assign",
    "update": "to update",
    "conflict": "in conflict",
}
GROUP_ORDER = ("Heavy", "Medium", "Light")


def where(planned: Planned) -> str:
    return (
        f"Platform plan for {planned.account}: platform account {planned.account_id} on "
        f"{planned.server}"
    )


def _kind(change: Change) -> int:
    """The change's place in EFFECTS (an assignment by its setup option, an offboarding by
    what becomes of the line)."""
    setup = change.new.get("setup", "") if change.kind == "assign" else ""
    if change.kind == "offboard":
        setup = "release" if change.release else "keep"
    return next(
        n for n, (kind, how, _) in enumerate(EFFECTS) if kind == change.kind and how in ("", setup)
    )


def effect(change: Change) -> str:
    """What one change does, in words."""
    kind, _, words = EFFECTS[_kind(change)]
    if kind == "update":
        return "; ".join(_old_new(change))
    if kind in ("conflict", "not applied"):
        return f"{words}: {change.reason}"
    return words


# what a field's absence means (the platform's view holds no recording when it is off)
ABSENT = {"recording": "off"}


def _old_new(change: Change) -> Iterator[str]:
    for name in change.fields:
        absent = ABSENT.get(name, "(none)")
        old, new = change.old.get(name) or absent, change.new.get(name) or absent
        yield f"{label(name).lower()} {old} → {new}"


def line(change: Change) -> str:
    who = f" {change.who}" if change.who else ""
    return f"{change.extension}{who}: {effect(change)}"


def summary(planned: Planned) -> list[str]:
    facts = planned.summary()
    kinds = (
        ", ".join(f"{n} {KINDS.get(kind, kind)}" for kind, n in facts["operations"].items())
        or "nothing to send"
    )
    lines = [f"Summary: {kinds}"]
    if facts["welcome_emails"]:
        lines.append(
            f"RingCentral will email {facts['welcome_emails']} activation link(s) (welcome "
            "emails) when this is applied"
        )
    if facts["need_secrets"]:
        lines.append(
            f"{len(facts['need_secrets'])} user(s) need a password, PIN and security answer at "
            f"apply: {', '.join(facts['need_secrets'])}"
        )
    if facts["operations"].get("offboard"):
        lines.append(
            f"{facts['operations']['offboard']} user(s) to offboard: deleted on RingCentral, "
            "which cannot be undone; `platform apply` sends it only with --allow-offboard"
        )
    if facts["conflicts"]:
        lines.append(
            f"{facts['conflicts']} conflict(s): changed in the Admin Portal since the pull; "
            "nothing is sent for them"
        )
    groups = facts["requests_by_group"]
    limits = ", ".join(f"{g} {n}" for g, n in DEFAULT_LIMITS.items())
    lines.append(
        "Requests by rate-limit group: "
        + ", ".join(f"{group} {groups[group]}" for group in GROUP_ORDER if group in groups)
        + f"; about {facts['platform_minutes_at_default_limits']} minute(s) of waiting for the "
        f"rate limits at the default limits ({limits} a minute)"
    )
    lines += [f"Not possible through the API: {note}" for note in planned.plan.notes]
    return lines


def text(planned: Planned) -> list[str]:
    """The whole plan, unwrapped: where, one line per change (grouped by effect), summary."""
    shown = sorted((c for c in planned.plan.changes if c.kind != "done"), key=_kind)
    lines = [where(planned), "", *([line(c) for c in shown] or ["No local change to send."])]
    return [*lines, "", *summary(planned)]


def requests(planned: Planned) -> list[str]:
    """The REST requests, in the order apply sends them, each body pretty-printed (secrets
    as "<secret>")."""
    out = []
    for n, req in enumerate(planned.requests, 1):
        out.append(f"{n}. {req.method} {req.path} ({req.group})")
        body = json.dumps(req.body, indent=2, ensure_ascii=False)
        out += ["   " + part for part in body.splitlines()]
    return out


def width() -> int:
    return shutil.get_terminal_size().columns if sys.stdout.isatty() else 0


def wrapped(lines: list[str], columns: int) -> list[str]:
    """Each line within `columns` (0: as it is), continued lines indented; a word longer than
    the line (a long address) is cut across lines, never past the edge."""
    if columns <= 0:
        return lines
    out = []
    for text_ in lines:
        if len(text_) <= columns:  # as it is: the requests' JSON keeps its indentation
            out.append(text_)
        else:
            out += textwrap.wrap(text_, columns, subsequent_indent="    ", break_on_hyphens=False)
    return out


def emit(lines: list[str]) -> None:
    """The lines on standard output, made `safe` before they are wrapped (an escaped control
    character is as wide as it is shown)."""
    sys.stdout.write("".join(part + "\n" for part in wrapped([safe(x) for x in lines], width())))
