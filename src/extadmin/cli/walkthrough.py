"""The interactive walkthrough of `extadmin assign`: the seed's steps 4 to 10 at a terminal.

It only gathers answers into a Request: every answer is checked as it is given by the same
domain rules the flags and the CSV import use, and before the review the whole request goes
through the same `services.assign.check` that saves it. Nothing is written here; Ctrl-C or
"Cancel" at any step leaves the account untouched.

The steps keep the seed's order. Escape (`<` at a plain prompt) goes back one question, the
answers kept; an answer that a later one makes wrong (a password holding the name typed
after it, a PIN holding a phone's digits) is checked again as soon as that later answer is
given, and asked again there. A value given by a flag that names nothing in the account
(`--site Bostn`) is reported before the first question and asked at once."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from extadmin.cli import prompts
from extadmin.domain import account as accounts
from extadmin.domain import rules
from extadmin.domain.account import user_name
from extadmin.domain.catalog import LOCALES, RECORDING, RECORDING_TITLES, SETUP_OPTIONS
from extadmin.domain.fields import BY_NAME, FORM, LABELS, USER, USER_FIELDS
from extadmin.errors import Cancelled, ExtadminError, NotFound
from extadmin.services import assign as service
from extadmin.services import extensions, mail, profiles
from extadmin.services import update as updates
from extadmin.services.directory import EmailIndex, build_index

if TYPE_CHECKING:
    from extadmin.cli.prompts import Prompter
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
    # the form's fields (domain.fields), in its order: step 7, step 8, then step 9 in two
    Step("Name", FORM[: FORM.index("email")]),
    Step("Email", ("email",)),
    Step("Contact details", FORM[FORM.index("short_extension") : FORM.index("site")]),
    Step("Settings", FORM[FORM.index("site") :]),
)

# first, when the account has profiles: the chosen one's values are the answers' defaults
PROFILE = Step("Profile", ("profile",))
# the profile question's choice "the default profile of the extension's site" (no profile's
# name: a name has no control character)
SITE_DEFAULT = "\x00site"

STEP_OF = {name: step for step in (PROFILE, *STEPS) for name in step.fields}
ORDER = [name for step in (PROFILE, *STEPS) for name in step.fields]

# shown before the secret is typed (the rules themselves are domain.rules.password and .pin)
PASSWORD_RULES = (
    "8 to 32 characters with a letter and a digit, and an uppercase letter or one of "
    f"{' '.join(rules.PASSWORD_SPECIALS)}; no aaa, abc or 321; not the user's name, email "
    "or extension number."
)
PIN_RULES = (
    "6 to 10 digits; no 1234 or 4321, no 222, no repeated pattern such as 050505; not the "
    "extension number or the last 6 digits of a phone."
)
# the languages that follow the user language while the admin does not choose otherwise
LOCALE_FIELDS = tuple(f.name for f in USER if f.kind == "locale" and f.name != "language")
# the settings a flag may name wrongly: reported before the first question, then asked
SETTINGS = STEPS[-1].fields


def administrative(role: str) -> bool:
    """A role with administrative access: Super Admin, Phone System Admin, Billing Admin, User
    Admin (and an account's own "… Admin" or "Administrator" roles)."""
    return re.search(r"\badmin", role, re.IGNORECASE) is not None


def run(prompter: Prompter, store: AccountStore, req: Request, *, confirm: bool) -> Request:
    return Walkthrough(prompter, store.read(), store.path, req).run(confirm)


def activation(
    prompter: Prompter, store: AccountStore, req: Request, *, token: str | None, invited: bool
) -> tuple[str | None, Request]:
    """Ask what activating needs: the invitation token, then the credentials."""
    walk = Walkthrough(prompter, store.read(), store.path, req)
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
        token = prompter.secret(
            "Activation token (from the welcome email)",
            lambda v: rules.text(v, "token", required=True),
            name="token",
        )
    for name in STEPS[2].fields:
        if getattr(walk.req, name) is None:
            walk.ask(name)
    answers = {f: getattr(walk.req, f) for f in STEPS[2].fields}
    return token, replace(req, **answers)


class Walkthrough:
    def __init__(self, prompter: Prompter, account: Account, path: Any, req: Request) -> None:
        self.p = prompter
        self.account = account
        self.path = path
        self.emails: EmailIndex = build_index(account, path)
        self.req = req
        self.given: set[str] = set()  # the fields given by flags: never asked in the walk
        self.back = False  # whether the question being asked may go back
        self.prefilled: dict[str, str] = {}  # the answers the chosen profile gave
        self.by_site = False  # the profile is the extension's site's default (follows the site)

    # --- the walk -----------------------------------------------------------------------------
    def steps(self) -> list[Step]:
        first = [PROFILE] if self.account.doc.get("profiles") else []
        return first + [
            s for s in STEPS if s.title != "Credentials" or self.req.setup == "credentials"
        ]

    def where(self) -> str:
        """The account the answers are saved to: its name and file, and on a linked file the
        platform account that `platform apply` sends them to."""
        shown = f"{self.account.name} ({self.path})"
        link = self.account.doc.get("platform")
        if link:
            shown += (
                f", linked to platform account {link['account_id']} on {link['server']}: saved "
                "here, sent by `extadmin platform apply`"
            )
        return shown

    def run(self, confirm: bool) -> Request:
        self.p.say(f"Account: {self.where()}")
        for warning in self.emails.warnings:
            self.p.say(warning)
        # a wrong NUMBER or --setup fails now, as it would by flags, not after every question
        if self.req.extension is not None:
            service.assignable(self.account, self.req.extension)
        if self.req.setup is not None:
            self.req = replace(self.req, setup=rules.setup_option(self.req.setup))
        self.given = {f for f in ORDER if getattr(self.req, f) is not None}
        if self.req.profile is not None:  # --profile: its values are the defaults at once
            self.use_profile(self.req.profile)
        elif self.req.extension is not None and self.account.doc.get("profiles"):
            self.use_profile(SITE_DEFAULT)  # NUMBER: its site's default profile, if any
        self.fix_given_settings()
        scripted = all(getattr(self.req, f) for f in service.required_fields(self.req.setup))
        if not scripted:
            self.walk()
        self.fix_problems()
        if confirm:
            self.review()
        return self.req

    def fix_given_settings(self) -> None:
        """A site, role, language or recording given by a flag that is not one of the account's:
        said at once, and asked at once (the cursor on the default), before anything else."""
        for name in SETTINGS:
            value = getattr(self.req, name)
            if not value or not value.strip():
                continue
            try:
                if name == "site":
                    self.account.site(value)
                else:
                    BY_NAME[name].check(self.account, value)
            except ExtadminError as exc:
                flag = "--" + name.replace("_", "-")
                self.p.problem(f"{flag}: {exc.message}")
                self.set(name, None)
                self.ask(name)

    def walk(self) -> None:
        """The questions of the steps in order, each unless given by a flag. Escape goes back
        one question (to the previous step from the first of a step), the answers kept."""
        self.p.hint(self.p.back_hint(), indent="")
        history: list[int] = []  # the questions answered, to go back through
        shown: Step | None = None
        i = 0
        while i < len(ORDER):
            name = ORDER[i]
            step = STEP_OF[name]
            steps = self.steps()
            if name in self.given or step not in steps:
                i += 1
                continue
            if step is not shown:
                self.p.step(steps.index(step) + 1, len(steps) + 1, step.title)
                shown = step
            try:
                self.ask(name, back=True)
            except prompts.Back:
                while history and STEP_OF[ORDER[history[-1]]] not in self.steps():
                    history.pop()  # a step the setup option has since removed
                if history:
                    i = history.pop()
                else:
                    self.p.hint("This is the first question.")
                continue
            history.append(i)
            i += 1

    def fix_problems(self) -> None:
        """Check the whole request with the service; show each broken rule and ask its field
        again until none is left (an error that names no field ends the walkthrough)."""
        while (problem := self.check()) is not None:
            self.p.problem(problem.message)
            field = service.field_key(problem.field)
            if field is None:
                raise problem
            self.ask(field)

    def check(self) -> ExtadminError | None:
        try:
            service.check(self.account, self.req, self.emails)
        except ExtadminError as exc:
            return exc
        return None

    def review(self) -> None:
        while True:
            assignment = service.check(self.account, self.req, self.emails)
            total = len(self.steps()) + 1  # an edited setup option adds or removes a step
            self.p.step(total, total, "Review")
            self.p.pair("Account", self.where())
            for label, value in summary_lines(assignment, self.account):
                self.p.pair(label, value)
            save = "Save"
            if assignment.number != assignment.extension:  # saving renumbers: the choice says so
                save = f"Save and renumber extension {assignment.extension} to {assignment.number}"
            action = self.p.select(
                "Save this user?",
                [(save, "save"), ("Edit a field", "edit"), ("Cancel", "cancel")],
                "save",
            )
            if action == "save":
                return
            if action == "cancel":
                raise Cancelled()
            fields = [f for s in self.steps() for f in s.fields if f != "profile"]
            try:  # Escape, here or at the field, is back to the review
                edited = self.p.select(
                    "Which field?",
                    [*((LABELS[f], f) for f in fields), ("Back to the review", "")],
                    back=True,
                )
                if not edited:
                    continue
                self.ask(edited, back=True)
            except prompts.Back:
                continue
            if edited == "setup" and self.req.setup == "credentials":
                # now credentials: ask their step whole (the temporary password flag too)
                for name in STEPS[2].fields:
                    if getattr(self.req, name) is None:
                        self.ask(name)
            self.fix_problems()

    # --- one field ----------------------------------------------------------------------------
    def ask(self, name: str, *, back: bool = False) -> None:
        """Ask one field (its answer given before, if any, as the default), then check again
        the answers that depend on it."""
        self.back = back
        try:
            answer: Any = question(name)(self, name)
        finally:
            self.back = False
        before = getattr(self.req, name)
        self.set(name, answer)
        if name == "setup" and answer != "credentials":
            self.req = replace(
                self.req,
                password=None,
                pin=None,
                security_question=None,
                security_answer=None,
                temporary_password=None,
            )
        self.after(name, before)

    def set(self, name: str, value: Any) -> None:
        self.req = replace(self.req, **{name: value})

    def use_profile(self, name: str) -> None:
        """Start from a profile's values ("" none; SITE_DEFAULT the default profile of the
        extension's site, once the extension is known): each answer a flag did not give takes
        its value as its default (still asked, still changeable); the answers the profile
        chosen before gave, and the admin kept, go with it. The request then names the profile
        used, or "" (none, not even a site's default), so that saving adds nothing more."""
        self.by_site = name == SITE_DEFAULT
        found = None
        if self.by_site and self.req.extension:
            site = self._site_name(self.req.site) if "site" in self.given else self._ext()["site"]
            found = profiles.default_of(self.account, site) if site else None
        elif not self.by_site and name.strip():
            found = profiles.find(self.account, name)
        given = profiles.values(self.account, found) if found else {}
        for field, value in self.prefilled.items():
            if field not in given and getattr(self.req, field) == value:
                self.set(field, None)
        self.prefilled = {f: v for f, v in given.items() if f not in self.given}
        pending = self.by_site and not self.req.extension  # resolved when the extension is
        used = found["name"] if found else None if pending else ""
        self.req = replace(self.req, profile=used)
        for field, value in self.prefilled.items():
            self.set(field, value)
        if found:
            shown = ", ".join(f"{LABELS[f].lower()} {v}" for f, v in self.prefilled.items())
            whose = f" (the default of site {found['default_for_site']})" if self.by_site else ""
            self.p.hint(
                f"From profile {found['name']}{whose}: {shown or 'nothing a flag did not give'}."
            )

    def after(self, name: str, before: Any) -> None:
        """What an answer changes for the others: the password must not hold the names, the
        email's local part or the number; the PIN not the number or a phone's last digits; the
        greeting language and the regional format follow the user language."""
        credentials = self.req.setup == "credentials"
        if credentials and self.req.password and name in (
            "first_name", "last_name", "email", "short_extension", "site",
        ):  # fmt: skip
            self.recheck("password", lambda v: rules.password(v, personal=self._personal()), name)
        if credentials and self.req.pin and name in (
            "contact_phone", "mobile_phone", "short_extension", "site",
        ):  # fmt: skip
            self.recheck("pin", self._check_pin, name)
        if name == "language" and self.req.language != before:
            self.follow_language(before)
        if name == "extension" and self.by_site and self.req.extension != before:
            self.use_profile(SITE_DEFAULT)

    def recheck(self, name: str, check: Any, because: str) -> None:
        try:
            check(getattr(self.req, name))
        except ExtadminError as exc:
            known = f"now that the {LABELS[because].lower()} is known"
            self.p.problem(f"{exc.message} ({known}): enter it again.")
            self.set(name, None)
            self.ask(name)

    def follow_language(self, before: str | None) -> None:
        """The greeting language and regional format that followed the user language (or were
        not chosen yet) follow the new one; a flag's or a different choice stays."""
        language = self.req.language
        followed = []
        for name in LOCALE_FIELDS:
            value = getattr(self.req, name)
            if name in self.given or value is None or value == language:
                continue
            if value == before:
                self.set(name, language)
                followed.append(LABELS[name].lower())
        if followed and language:
            what = " and ".join(followed)
            self.p.hint(f"The {what} follow: {LOCALES[language]} ({language}).")

    def _ext(self) -> Any:
        return self.account.extension(self.req.extension or "")

    def _site_name(self, value: str | None) -> str | None:
        """A site given as it is in the account, or None when it names none."""
        try:
            return self.account.site(value)["name"] if value and value.strip() else None
        except ExtadminError:
            return None

    def _number(self, site: str | None = None) -> str:
        """The extension's number after saving, as far as the answers so far tell."""
        ext = self._ext()
        site = site or self._site_name(self.req.site) or ext["site"]
        try:
            return service.target_number(self.account, ext, site, self.req.short_extension)
        except ExtadminError:
            return str(ext.get("number", ""))

    # --- the questions: each takes the name of what it asks (see QUESTIONS and BY_KIND) -------
    def _ask_extension(self, name: str) -> str:
        free, _ = extensions.free(self.account)
        if not free:
            raise NotFound("no unassigned extensions: add some with `extadmin extension add`")
        choices = [
            (
                f"{accounts.label(e):<8} {e['site']:<20} {e.get('device', {}).get('model', '')}",
                accounts.ref(e),
            )
            for e in free
        ]
        return self.p.select(
            "Extension to assign",
            choices,
            self.req.extension,
            search=True,
            no_match=self._no_extension,
            back=self.back,
            name=name,
        )

    def _no_extension(self, typed: str) -> str:
        """Why nothing matches: a typo, or an extension that exists but is not unassigned."""
        text = f"no unassigned extension matches {typed}"
        ext = self.account.find(typed)
        if ext is None:
            return text
        user = ext.get("user")
        if user:
            name = user_name(user)
            return f"{text}: extension {typed} is assigned to {name} ({ext['status']})"
        return f"{text}: extension {typed} is {ext['status']}"

    def _ask_profile(self, name: str) -> str | None:
        """The profiles, or none (and, before the extension is chosen, the default profile of
        its site, when a site has one: the cursor starts there); the chosen one's values become
        the defaults of the questions that follow. A profile that no longer holds (a role or
        site removed since) is said, and asked again."""
        found = self.account.doc.get("profiles", [])
        choices = [
            (
                p["name"]
                + (f" (default of {p['default_for_site']})" if p.get("default_for_site") else ""),
                p["name"],
            )
            for p in found
        ]
        if not self.req.extension and any(p.get("default_for_site") for p in found):
            choices.insert(0, ("The default profile of the extension's site", SITE_DEFAULT))
        if choices[0][1] == SITE_DEFAULT and (self.by_site or self.req.profile is None):
            default = SITE_DEFAULT
        else:
            default = self.req.profile or ""
        while True:
            picked = self.p.select(
                LABELS[name], [*choices, ("None", "")], default, back=self.back, name=name
            )
            try:
                self.use_profile(picked)
            except ExtadminError as exc:
                self.p.problem(exc.message)
                default = ""
                continue
            return self.req.profile

    def _ask_setup(self, name: str) -> str:
        choices = [
            (text.split(":")[0], key, text.split(": ", 1)[1]) for key, text in SETUP_OPTIONS.items()
        ]
        default = self.req.setup or "invite"
        return self.p.select("Setup option", choices, default, back=self.back, name=name)

    def _personal(self) -> list[str]:
        local = (self.req.email or "").rpartition("@")[0]
        return [
            self._number() if self.req.extension else "",
            self.req.first_name or "",
            self.req.last_name or "",
            local,
        ]

    def _kept(self, name: str) -> bool:
        """Going back (or forth again) to a secret given before: Enter keeps it."""
        return self.back and getattr(self.req, name) is not None

    def _ask_password(self, name: str) -> str:
        self.p.hint(f"Password: {PASSWORD_RULES}")
        keep = self._kept(name)
        value = self.p.secret_twice(
            "Password",
            lambda v: rules.password(v, personal=self._personal()),
            keep=keep,
            back=self.back,
            name=name,
        )
        return (self.req.password or "") if keep and not value else value

    def _ask_temporary_password(self, name: str) -> bool:
        default = True if self.req.temporary_password is None else self.req.temporary_password
        return self.p.confirm(
            "Temporary password (changed at first login)?",
            default=default,
            back=self.back,
            name=name,
        )

    def _phones(self) -> list[str]:
        phones = []
        for number in (self.req.contact_phone, self.req.mobile_phone):
            try:
                phones.append(rules.phone(number, self.account.country, "phone"))
            except ExtadminError:
                continue  # a wrong phone is its own question
        return [p for p in phones if p]

    def _check_pin(self, value: str) -> str:
        return rules.pin(value, extension=self._number(), phones=self._phones())

    def _ask_pin(self, name: str) -> str:
        self.p.hint(f"PIN: {PIN_RULES}")
        keep = self._kept(name)
        value = self.p.secret_twice(
            "PIN (6 to 10 digits)", self._check_pin, keep=keep, back=self.back, name=name
        )
        return (self.req.pin or "") if keep and not value else value

    def _ask_security_question(self, name: str) -> str:
        questions = self.account.security_questions
        try:
            default = rules.security_question(self.req.security_question or "", questions)
        except ExtadminError:
            default = None
        choices = [(q, q) for q in questions]
        return self.p.select("Security question", choices, default, back=self.back, name=name)

    def _ask_security_answer(self, name: str) -> str:
        keep = self._kept(name)
        value = self.p.secret(
            "Security answer", rules.security_answer, keep=keep, back=self.back, name=name
        )
        return (self.req.security_answer or "") if keep and not value else value

    def _ask_email(self, name: str) -> str:
        """The user's email: unique across the accounts, unless the admin waives it for a
        user given credentials."""
        if self.req.setup != "credentials":  # the waiver is for credentials only: the address
            self.req = replace(self.req, allow_duplicate_email=False)  # must now be unique

        def check(value: str) -> None:
            email = BY_NAME[name].check(self.account, value)
            if not self.req.allow_duplicate_email and self.req.setup != "credentials":
                service.check_email_unique(self.emails, email)

        default = getattr(self.req, name) or ""
        value = self.p.text(LABELS[name], check, default=default, back=self.back, name=name)
        matches = self.emails.matches(rules.email(value))
        if matches and not self.req.allow_duplicate_email:  # only with setup credentials
            where = ", ".join(f"extension {m.extension} in {m.account!r}" for m in matches)
            self.p.problem(f"{value} is already used ({where}).")
            if not self.p.confirm(
                "Users require unique email IDs: waive it for this user?",
                default=False,
                name="allow_duplicate_email",
            ):
                return self._ask_email(name)
            self.req = replace(self.req, allow_duplicate_email=True)
        return value

    def _ask_short_extension(self, name: str) -> str:
        ext = self._ext()
        current = self.account.short_number(ext)
        site = self._site_name(self.req.site) or ext["site"]
        value = self.p.text(
            LABELS[name],
            lambda v: service.target_number(self.account, ext, site, v),
            default=self.req.short_extension or current,
            optional="number" in ext,  # pulled without a number: the admin gives one
            back=self.back,
            name=name,
        )
        return value if value != current else ""

    def _ask_phone(self, name: str) -> str:
        """A phone (a mobile one by its kind), shown normalised once given."""
        field = BY_NAME[name]
        current = getattr(self.req, name) or ""
        value = self.p.text(
            field.label,
            lambda v: field.check(self.account, v),
            default=current,
            optional=True,
            back=self.back,
            name=name,
        )
        if value:
            normalised = field.check(self.account, value)
            if normalised != value:
                self.p.say(f"  → {normalised}")
            return normalised
        return ""

    def _ask_text(self, name: str) -> str:
        """A line of text, required or not as declared, checked by its kind's rule."""
        field = BY_NAME[name]
        return self.p.text(
            field.label,
            lambda v: field.check(self.account, v),
            default=getattr(self.req, name) or "",
            optional=not field.required,
            back=self.back,
            name=name,
        )

    def _ask_site(self, name: str) -> str:
        ext = self._ext() if self.req.extension else None
        own = ext["site"] if ext else self.account.main_site()["name"]
        default = self._site_name(self.req.site) or own
        choices = [
            (s["name"] + (f" (code {s['code']})" if s.get("code") else ""), s["name"])
            for s in self.account.sites
        ]
        site = self.p.select(LABELS[name], choices, default, marked=own, back=self.back, name=name)
        if ext is not None and "number" in ext and site != own:
            before, after = self._number(own), self._number(site)
            if before != after:
                self.p.hint(
                    f"Extension {before} becomes {after} on site {site}: the review asks to "
                    "confirm it."
                )
        return site

    def _ask_role(self, name: str) -> str:
        default_role = self.account.default_role
        given = getattr(self.req, name)
        try:
            default = self.account.role(given) if given else default_role
        except ExtadminError:
            default = default_role  # a wrong --role: the cursor on the default, not the first
        who = f"{self.req.first_name or ''} {self.req.last_name or ''}".strip() or "this user"
        while True:
            role = self.p.select(
                BY_NAME[name].label,
                [(r, r) for r in self.account.roles],
                default,
                marked=default_role,
                back=self.back,
                name=name,
            )
            if not administrative(role):
                return role
            access = "full administrative" if role.casefold() == "super admin" else "administrative"
            if self.p.confirm(
                f"Give {who} the {role} role ({access} access)?",
                default=False,
                name="administrative",
            ):
                return role
            default = default_role

    def _ask_locale(self, name: str) -> str:
        """A language: the user language's default is the account's; the others' default is
        the user language."""

        def valid(value: str | None) -> str | None:
            try:
                return rules.locale(value, name) if value and value.strip() else None
            except ExtadminError:
                return None

        if name == "language":
            marked = self.account.locale
        else:  # the user language is the default of the others
            marked = valid(self.req.language) or self.account.locale
        default = valid(getattr(self.req, name)) or marked
        return self.p.select(
            BY_NAME[name].label,
            [(f"{title} ({code})", code) for code, title in LOCALES.items()],
            default,
            search=True,
            marked=marked,
            no_match=lambda typed: f"no language matches {typed}",
            back=self.back,
            name=name,
        )

    def _ask_recording(self, name: str) -> str:
        given = getattr(self.req, name)
        try:
            default = rules.recording(given) if given else "off"
        except ExtadminError:
            default = "off"
        return self.p.select(
            BY_NAME[name].label,
            [(RECORDING_TITLES[r], r) for r in RECORDING],
            default,
            marked="off",
            back=self.back,
            name=name,
        )


Ask = Callable[[Walkthrough, str], Any]

# How a field of the user form is asked, by its kind (domain.fields.KINDS): a new field of a
# known kind is asked with no change here.
BY_KIND: dict[str, Ask] = {
    "name": Walkthrough._ask_text,
    "text": Walkthrough._ask_text,
    "email": Walkthrough._ask_email,
    "phone": Walkthrough._ask_phone,
    "mobile": Walkthrough._ask_phone,
    "role": Walkthrough._ask_role,
    "locale": Walkthrough._ask_locale,
    "recording": Walkthrough._ask_recording,
}
# The questions that are not the user's own fields: the extension, its setup and credentials,
# and the extension's own fields in the form (its short number, its site).
QUESTIONS: dict[str, Ask] = {
    "extension": Walkthrough._ask_extension,
    "profile": Walkthrough._ask_profile,
    "setup": Walkthrough._ask_setup,
    "password": Walkthrough._ask_password,
    "temporary_password": Walkthrough._ask_temporary_password,
    "pin": Walkthrough._ask_pin,
    "security_question": Walkthrough._ask_security_question,
    "security_answer": Walkthrough._ask_security_answer,
    "short_extension": Walkthrough._ask_short_extension,
    "site": Walkthrough._ask_site,
}


def question(name: str) -> Ask:
    """How `name` is asked: its own question, else the question of its field's kind."""
    return QUESTIONS.get(name) or BY_KIND[BY_NAME[name].kind]


def summary_lines(
    assignment: service.Assignment, account: Account | None = None
) -> list[tuple[str, str]]:
    """The review: every value that will be saved (never a secret), and what saving will do."""
    user = assignment.user
    number = assignment.number
    short: str | None = None
    if account is not None:
        code = account.site(assignment.site).get("code", "")
        short = number[len(code) :] if code and number.startswith(code) else number
    if assignment.number != assignment.extension:
        why = ""
        if (
            account is not None
            and account.extension(assignment.extension)["site"] != assignment.site
        ):
            new_code = account.site(assignment.site).get("code")
            why = f": moved to site {assignment.site}" + (f", code {new_code}" if new_code else "")
        number += f" (renumbered from {assignment.extension}{why})"
    lines = [("Extension", number)]
    if short is not None:
        lines.append(("Short extension number", short))
    lines += [
        ("Site", assignment.site),
        ("Setup option", SETUP_OPTIONS[assignment.setup].split(":")[0]),
        ("Status after saving", service.STATUS_AFTER[assignment.setup]),
    ]
    if assignment.profile:
        lines.insert(1, ("Profile", assignment.profile))
    if assignment.secrets:
        lines += [
            ("Password", "set" + (" (temporary)" if assignment.secrets.temporary_password else "")),
            ("PIN", "set"),
            ("Security question", assignment.secrets.security_question),
            ("Security answer", "set"),
        ]
    for key in USER_FIELDS:
        value = str(user.get(key, "")) or "—"
        if BY_NAME[key].kind == "locale":
            value = f"{LOCALES[value]} ({value})"
        elif BY_NAME[key].kind == "recording":
            value = RECORDING_TITLES[value]
        lines.append((LABELS[key], value))
    if user.get("unique_email") is False:
        lines.append(("Users require unique email IDs", "waived"))
    if assignment.engage_voice:
        lines.append((LABELS["engage_voice"], assignment.engage_voice))
    lines += outcome_lines(assignment, account)
    return lines


def outcome_lines(assignment: service.Assignment, account: Account | None) -> list[tuple[str, str]]:
    """What saving will do about email: sent, queued, left to the platform, or nothing."""
    email = assignment.user["email"]
    if assignment.setup == "credentials":
        return [("After saving", "no welcome email will be sent: the user signs in now")]
    if assignment.setup == "later":
        return [("After saving", "no welcome email will be sent, and no notifications")]
    if account is None:
        return [("Welcome email", f"to {email}, with an activation link")]
    if account.linked:
        return [("After saving", f"the platform sends a welcome email to {email} at `extadmin "
                 "platform apply`")]  # fmt: skip
    days = account.doc["account"].get("token_days", service.DEFAULT_TOKEN_DAYS)
    if "mail" in account.doc:
        what = f"a welcome email will be sent to {email}, with an activation link ({days} days)"
    else:
        what = (
            f"a welcome email to {email} will be queued, not sent: no mail server is configured "
            "(`extadmin mail configure`)"
        )
    lines = [("After saving", what)]
    language = assignment.user["language"]
    if language.split("-")[0] not in mail.TRANSLATIONS:
        lines.append(
            ("Welcome email language", f"English: there is no template in {LOCALES[language]}")
        )
    return lines


def update(prompter: Prompter, store: AccountStore, number: str) -> dict[str, str | None]:
    """`users update` at a terminal: the form's fields with their current values; pick one,
    change it (checked as it is given, by the same rules), until Save. The fields changed,
    as the flags would give them (nothing written here)."""
    account = store.read()
    ext = updates.updatable(account, number)
    user: dict[str, Any] = dict(ext["user"])
    current = {name: str(user.get(name, "")) for name in USER_FIELDS} | {"site": ext["site"]}
    answers = dict(current)
    names = [n for n in FORM if n in current]
    while True:
        choices = [(f"{LABELS[n]}: {answers[n] or '(none)'}", n) for n in names]
        picked = prompter.select(
            f"Extension {ext['number']}: which field?",
            [*choices, ("Save", "save"), ("Cancel", "cancel")],
            "save",
            name="field",
        )
        if picked == "cancel":
            raise Cancelled()
        if picked == "save":
            return {n: v for n, v in answers.items() if v != current[n]}
        answers[picked] = _changed(prompter, account, picked, answers[picked], user)


def _changed(
    prompter: Prompter, account: Account, name: str, value: str, user: dict[str, Any]
) -> str:
    """One field asked again, its value as the default."""
    if name == "site":
        sites = [(s["name"], s["name"]) for s in account.sites]
        return prompter.select(LABELS[name], sites, value, name=name)
    f = BY_NAME[name]
    if f.kind == "locale":
        offered = account.offered_locales(f.said) or list(LOCALES)
        choices = [(f"{LOCALES.get(c, c)} ({c})", c) for c in offered]
        return prompter.select(f.label, choices, value, search=True, name=name)
    if f.kind == "recording":
        choices = [(RECORDING_TITLES[r], r) for r in RECORDING]
        return prompter.select(f.label, choices, value, name=name)
    if f.kind == "role":
        while True:
            role = prompter.select(f.label, [(r, r) for r in account.roles], value, name=name)
            who = user_name(user)
            if (
                not administrative(role)
                or role == value
                or prompter.confirm(
                    f"Give {who} the {role} role (administrative access)?",
                    default=False,
                    name="administrative",
                )
            ):
                return role
    return prompter.text(
        f.label,
        lambda v: f.check(account, v),
        default=value,
        optional=not f.required,
        name=name,
    )
