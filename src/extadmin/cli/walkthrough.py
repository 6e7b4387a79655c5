"""The interactive walkthrough of `extadmin assign`: the seed's steps 4 to 10 at a terminal.

It only gathers answers into a Request: every answer is checked as it is given by the same
domain rules the flags and the CSV import use, and before the review the whole request goes
through the same `services.assign.plan` that saves it. Nothing is written here; Ctrl-C or
"Cancel" at any step leaves the account untouched."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from extadmin.cli import prompts
from extadmin.domain import account as accounts
from extadmin.domain import rules
from extadmin.domain.catalog import (
    LOCALES,
    RECORDING,
    RECORDING_TITLES,
    SECURITY_QUESTIONS,
    SETUP_OPTIONS,
    USER_FIELDS,
)
from extadmin.errors import Cancelled, ExtadminError
from extadmin.services import assign as service
from extadmin.services.directory import EmailIndex, build_index

if TYPE_CHECKING:
    from extadmin.domain.account import Account
    from extadmin.services.assign import Request
    from extadmin.storage.store import AccountStore


@dataclass(frozen=True)
class Step:
    title: str
    fields: tuple[str, ...]


STEPS = (
    Step("Extension", ("extension",)),
    Step("Setup option", ("setup",)),
    Step(
        "Credentials",
        ("password", "temporary_password", "pin", "security_question", "security_answer"),
    ),
    Step("Name", ("first_name", "last_name")),
    Step("Email", ("email",)),
    Step(
        "Contact details",
        ("short_extension", "contact_phone", "mobile_phone", "job_title", "department"),
    ),
    Step(
        "Settings",
        ("site", "role", "language", "greeting_language", "regional_format", "recording"),
    ),
)
LABELS = {
    "extension": "Extension",
    "setup": "Setup option",
    "password": "Password",
    "temporary_password": "Temporary password",
    "pin": "PIN",
    "security_question": "Security question",
    "security_answer": "Security answer",
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email address",
    "short_extension": "Short extension number",
    "contact_phone": "Contact phone",
    "mobile_phone": "Mobile phone",
    "job_title": "Job title",
    "department": "Department",
    "site": "Site",
    "role": "Assigned role",
    "language": "User language",
    "greeting_language": "Greeting language",
    "regional_format": "Regional format",
    "recording": "Automatic call recording",
}


def run(store: AccountStore, req: Request, *, confirm: bool, **io: Any) -> Request:
    return Walkthrough(store.read(), store.path, req, io).run(confirm)


def activation(
    store: AccountStore, req: Request, *, token: str | None, invited: bool, **io: Any
) -> tuple[str | None, Request]:
    """Ask what activating needs: the invitation token, then the credentials."""
    walk = Walkthrough(store.read(), store.path, req, io)
    ext = walk.account.extension(req.extension or "")
    walk.req = replace(
        req,
        first_name=ext["user"]["first_name"],
        last_name=ext["user"]["last_name"],
        email=ext["user"]["email"],
        contact_phone=ext["user"].get("contact_phone"),
        mobile_phone=ext["user"].get("mobile_phone"),
    )
    if invited and not token:
        token = prompts.secret(
            "Activation token (from the welcome email)",
            lambda v: rules.text(v, "token", required=True),
            **io,
        )
    for name in STEPS[2].fields:
        if getattr(walk.req, name) is None:
            walk.ask(name)
    answers = {f: getattr(walk.req, f) for f in STEPS[2].fields}
    return token, replace(req, **answers)


class Walkthrough:
    def __init__(self, account: Account, path: Any, req: Request, io: dict[str, Any]) -> None:
        self.account = account
        self.emails: EmailIndex = build_index(account, path)
        self.req = req
        self.io = io

    # --- the walk -----------------------------------------------------------------------------
    def steps(self) -> list[Step]:
        return [s for s in STEPS if s.title != "Credentials" or self.req.setup == "credentials"]

    def run(self, confirm: bool) -> Request:
        for warning in self.emails.warnings:
            prompts.say(warning, **self.io)
        # a wrong NUMBER or --setup fails now, as it would by flags, not after every question
        if self.req.extension is not None:
            service.assignable(self.account, self.req.extension)
        if self.req.setup is not None:
            self.req = replace(self.req, setup=rules.setup_option(self.req.setup))
        scripted = all(getattr(self.req, f) for f in service.required_fields(self.req.setup))
        if not scripted:
            self.walk()
        self.fix_problems()
        if confirm:
            self.review()
        return self.req

    def walk(self) -> None:
        number = 0
        for step in STEPS:
            if step not in self.steps():
                continue
            number += 1
            missing = [f for f in step.fields if getattr(self.req, f) is None]
            if not missing:
                continue
            prompts.step(number, len(self.steps()) + 1, step.title, **self.io)
            for name in missing:
                self.ask(name)

    def fix_problems(self) -> None:
        """Check the whole request with the service; show each broken rule and ask its field
        again until none is left (an error that names no field ends the walkthrough)."""
        while (problem := self.check()) is not None:
            prompts.say(f"  {problem.message}", style="fg:ansired", **self.io)
            field = service.field_key(problem.field)
            if field is None:
                raise problem
            self.ask(field)

    def check(self) -> ExtadminError | None:
        try:
            service.plan(self.account, self.req, self.emails)
        except ExtadminError as exc:
            return exc
        return None

    def review(self) -> None:
        while True:
            plan = service.plan(self.account, self.req, self.emails)
            total = len(self.steps()) + 1  # an edited setup option adds or removes a step
            prompts.step(total, total, "Review", **self.io)
            for label, value in summary_lines(plan):
                prompts.say(f"  {label:<26} {value}", **self.io)
            action = prompts.select(
                "Save this user?",
                [("Save", "save"), ("Edit a field", "edit"), ("Cancel", "cancel")],
                "save",
                **self.io,
            )
            if action == "save":
                return
            if action == "cancel":
                raise Cancelled()
            fields = [f for s in self.steps() for f in s.fields]
            edited = prompts.select(
                "Which field?",
                [*((LABELS[f], f) for f in fields), ("Back to the review", "")],
                **self.io,
            )
            if not edited:
                continue
            self.ask(edited)
            if edited == "setup" and self.req.setup == "credentials":
                # now credentials: ask their step whole (the temporary password flag too)
                for name in STEPS[2].fields:
                    if getattr(self.req, name) is None:
                        self.ask(name)
            self.fix_problems()

    # --- one field ----------------------------------------------------------------------------
    def ask(self, name: str) -> None:
        value = getattr(self, f"_ask_{name}", None)
        answer: Any = value() if value else self._ask_text(name)
        self.req = replace(self.req, **{name: answer})
        if name == "setup" and answer != "credentials":
            self.req = replace(
                self.req,
                password=None,
                pin=None,
                security_question=None,
                security_answer=None,
                temporary_password=None,
            )

    def _ext(self) -> Any:
        return self.account.extension(self.req.extension or "")

    def _ask_extension(self) -> str:
        from extadmin.services import extensions

        free = extensions.select(self.account, status="unassigned")
        if not free:
            raise ExtadminError("no unassigned extensions: add some with `extadmin extension add`")
        choices = [
            (
                f"{accounts.label(e):<8} {e['site']:<20} {e.get('device', {}).get('model', '')}",
                accounts.ref(e),
            )
            for e in free
        ]
        return prompts.select(
            "Extension to assign (type to search)", choices, search=True, **self.io
        )

    def _ask_setup(self) -> str:
        choices = [
            (text.split(":")[0], key, text.split(": ", 1)[1]) for key, text in SETUP_OPTIONS.items()
        ]
        return prompts.select("Setup option", choices, self.req.setup or "invite", **self.io)

    def _personal(self) -> list[str]:
        local = (self.req.email or "").rpartition("@")[0]
        return [
            self.req.extension or "",
            self.req.first_name or "",
            self.req.last_name or "",
            local,
        ]

    def _ask_password(self) -> str:
        return prompts.secret_twice(
            "Password", lambda v: rules.password(v, personal=self._personal()), **self.io
        )

    def _ask_temporary_password(self) -> bool:
        return prompts.confirm(
            "Temporary password (the user must change it at first login)?", default=True, **self.io
        )

    def _ask_pin(self) -> str:
        phones = [p for p in (self.req.contact_phone, self.req.mobile_phone) if p]
        phones = [rules.phone(p, self.account.country, "phone") for p in phones]
        return prompts.secret_twice(
            "PIN (6 to 10 digits)",
            lambda v: rules.pin(v, extension=self.req.extension or "", phones=phones),
            **self.io,
        )

    def _ask_security_question(self) -> str:
        questions = [*SECURITY_QUESTIONS, *self.account.extra_questions]
        return prompts.select(
            "Security question", [(q, q) for q in questions], self.req.security_question, **self.io
        )

    def _ask_security_answer(self) -> str:
        return prompts.secret("Security answer", rules.security_answer, **self.io)

    def _ask_email(self) -> str:
        if self.req.setup != "credentials":  # the waiver is for credentials only: the address
            self.req = replace(self.req, allow_duplicate_email=False)  # must now be unique

        def check(value: str) -> None:
            email = rules.email(value)
            if not self.req.allow_duplicate_email and self.req.setup != "credentials":
                service.check_email_unique(self.emails, email)

        value = prompts.text(LABELS["email"], check, default=self.req.email or "", **self.io)
        matches = self.emails.matches(rules.email(value))
        if matches and not self.req.allow_duplicate_email:  # only with setup credentials
            where = ", ".join(f"extension {m.extension} in {m.account!r}" for m in matches)
            prompts.say(f"  {value} is already used ({where}).", style="fg:ansired", **self.io)
            if not prompts.confirm(
                "Users require unique email IDs: waive it for this user?", default=False, **self.io
            ):
                return self._ask_email()
            self.req = replace(self.req, allow_duplicate_email=True)
        return value

    def _ask_short_extension(self) -> str:
        ext = self._ext()
        current = self.account.short_number(ext)
        site = self.req.site or ext["site"]
        value = prompts.text(
            LABELS["short_extension"],
            lambda v: service.target_number(self.account, ext, site, v),
            default=self.req.short_extension or current,
            optional="number" in ext,  # pulled without a number: the admin gives one
            **self.io,
        )
        return value if value != current else ""

    def _ask_phone(self, name: str) -> str:
        mobile = name == "mobile_phone"

        def check(value: str) -> str:
            return rules.phone(value, self.account.country, LABELS[name].lower(), mobile=mobile)

        value = prompts.text(LABELS[name], check, optional=True, **self.io)
        if value:
            normalised = check(value)
            prompts.say(f"  → {normalised}", **self.io)
            return normalised
        return ""

    def _ask_contact_phone(self) -> str:
        return self._ask_phone("contact_phone")

    def _ask_mobile_phone(self) -> str:
        return self._ask_phone("mobile_phone")

    def _ask_text(self, name: str) -> str:
        required = name in ("first_name", "last_name")
        return prompts.text(
            LABELS[name],
            lambda v: rules.text(v, LABELS[name].lower(), required=required),
            default=getattr(self.req, name) or "",
            optional=not required,
            **self.io,
        )

    def _ask_site(self) -> str:
        default = self.req.site or self._ext()["site"]
        return prompts.select(
            LABELS["site"], [(s["name"], s["name"]) for s in self.account.sites], default, **self.io
        )

    def _ask_role(self) -> str:
        default = self.req.role or self.account.default_role
        return prompts.select(
            LABELS["role"], [(r, r) for r in self.account.roles], default, **self.io
        )

    def _ask_locale(self, name: str) -> str:
        default = getattr(self.req, name) or self.account.locale
        return prompts.select(
            LABELS[name],
            [(f"{title} ({code})", code) for code, title in LOCALES.items()],
            default,
            **self.io,
        )

    def _ask_language(self) -> str:
        return self._ask_locale("language")

    def _ask_greeting_language(self) -> str:
        return self._ask_locale("greeting_language")

    def _ask_regional_format(self) -> str:
        return self._ask_locale("regional_format")

    def _ask_recording(self) -> str:
        return prompts.select(
            LABELS["recording"],
            [(RECORDING_TITLES[r], r) for r in RECORDING],
            self.req.recording or "off",
            **self.io,
        )


def summary_lines(plan: service.Plan) -> list[tuple[str, str]]:
    """The review: every value that will be saved, never a secret."""
    user = plan.user
    lines = [
        (
            "Extension",
            plan.number + (f" (was {plan.extension})" if plan.number != plan.extension else ""),
        ),
        ("Site", plan.site),
        ("Setup option", SETUP_OPTIONS[plan.setup].split(":")[0]),
        ("Status after saving", service.STATUS_AFTER[plan.setup]),
    ]
    if plan.secrets:
        lines += [
            ("Password", "set" + (" (temporary)" if plan.secrets.temporary_password else "")),
            ("PIN", "set"),
            ("Security question", plan.secrets.security_question),
            ("Security answer", "set"),
        ]
    for key in USER_FIELDS:
        value = str(user.get(key, "")) or "—"
        if key in ("language", "greeting_language", "regional_format"):
            value = f"{LOCALES[value]} ({value})"
        elif key == "recording":
            value = RECORDING_TITLES[value]
        lines.append((LABELS[key], value))
    if user.get("unique_email") is False:
        lines.append(("Users require unique email IDs", "waived"))
    if plan.setup == "invite":
        lines.append(("Welcome email", f"to {user['email']}, with an activation link"))
    return lines
