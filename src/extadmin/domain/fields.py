"""The user fields of the seed's form, one declaration each: everything else is derived from
these (the file's load checks, the flags of `assign` and `users update`, the CSV columns of
`bulk-assign`, `bulk-update` and `export`, the walkthrough's questions and review, `extension
show`, and the platform mapping). A new field is one more line here, and its `kind` if it
needs a rule no other field has.

A field's `kind` names its rule once: `check` takes what a person typed (a flag, a prompt, a
CSV cell) and returns the value to store; `load` judges the value the file holds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from extadmin.domain import rules
from extadmin.domain.catalog import LOCALES, OTHER_LABELS, RECORDING
from extadmin.errors import InvalidValue

if TYPE_CHECKING:
    from extadmin.domain.account import Account


@dataclass(frozen=True)
class UserField:
    name: str  # the key in the file's user table; the request's field; the CSV column
    label: str  # the seed's words: questions, review, `extension show`, table titles, errors
    step: int  # the seed's step that asks it (7 names, 8 email, 9 the rest)
    metavar: str
    help: str
    kind: str  # KINDS: its rule
    required: bool = False  # no default: `assign` needs it
    always: bool = False  # in every user of the file all the same (a default is stored)
    platform: str | None = None  # the platform's property (mapping): "contact.jobTitle", ...
    pulled: bool = False  # a pull writes it as the platform gives it (the platform judges it)
    choices: tuple[str, ...] = ()  # the only values the file may hold
    profile: bool = False  # a profile may hold it: it describes the job, not the person

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def column(self) -> str:
        return self.name

    def check(self, account: Account, value: str) -> str:
        """What a person typed for this field, as the file stores it ("" for none); raises
        InvalidValue naming the field and the rule."""
        return KINDS[self.kind].check(account, value, self.said)

    @property
    def said(self) -> str:
        """The field as an error message names it: "job title"."""
        return self.name.replace("_", " ")

    @property
    def load(self) -> Callable[[str], object] | None:
        """The file's rule beyond type and choices (raises InvalidValue without a field name:
        the loader adds it); None: the loader's cross checks (a known role) or none."""
        return KINDS[self.kind].load


@dataclass(frozen=True)
class Kind:
    check: Callable[[Account, str, str], str]
    load: Callable[[str], object] | None


def _name(account: Account, value: str, field: str) -> str:
    return rules.text(value, field, required=True)


def _text(account: Account, value: str, field: str) -> str:
    return rules.text(value, field)


def _email(account: Account, value: str, field: str) -> str:
    return rules.email(value, field)


def _phone(account: Account, value: str, field: str) -> str:
    return rules.phone(value, account.country, field)


def _mobile(account: Account, value: str, field: str) -> str:
    return rules.phone(value, account.country, field, mobile=True)


def _role(account: Account, value: str, field: str) -> str:
    return account.role(value)


def _locale(account: Account, value: str, field: str) -> str:
    """On a linked file, only a locale the platform offers for this setting."""
    code = rules.locale(value, field)
    offered = account.offered_locales(field)
    if offered is not None and code not in offered:
        raise InvalidValue(
            field,
            f"{code!r} is not offered by the linked platform for this setting (it offers "
            f"{', '.join(sorted(offered))})",
        )
    return code


def _recording(account: Account, value: str, field: str) -> str:
    return rules.recording(value)


KINDS: dict[str, Kind] = {
    "name": Kind(_name, lambda v: rules.text(v, "", required=True)),
    "text": Kind(_text, lambda v: rules.text(v, "")),
    "email": Kind(_email, rules.email_syntax),
    "phone": Kind(_phone, lambda v: rules.e164(v, "")),
    "mobile": Kind(_mobile, lambda v: rules.e164(v, "")),
    "role": Kind(_role, None),  # one of the account's roles: a check across the file
    "locale": Kind(_locale, rules.as_written(lambda v: rules.locale(v, ""), LOCALES)),
    "recording": Kind(_recording, None),  # one of its choices
}

USER: tuple[UserField, ...] = (
    UserField("first_name", "First name", 7, "TEXT", "First name.", "name", required=True,
              platform="contact.firstName", pulled=True),
    UserField("last_name", "Last name", 7, "TEXT", "Last name.", "name", required=True,
              platform="contact.lastName", pulled=True),
    UserField("email", "Email address", 8, "EMAIL", "Email address.", "email", required=True,
              platform="contact.email", pulled=True),
    UserField("contact_phone", "Contact phone", 9, "PHONE", "Contact phone.", "phone",
              platform="contact.businessPhone", pulled=True),
    UserField("mobile_phone", "Mobile phone", 9, "PHONE", "Mobile phone.", "mobile",
              platform="contact.mobilePhone", pulled=True),
    UserField("job_title", "Job title", 9, "TEXT", "Job title.", "text",
              platform="contact.jobTitle", pulled=True, profile=True),
    UserField("department", "Department", 9, "TEXT", "Department.", "text",
              platform="contact.department", pulled=True, profile=True),
    UserField("role", "Assigned role", 9, "ROLE",
              "Assigned role (default: the account's default role).", "role",
              platform="roles", always=True, profile=True),
    UserField("language", "User language", 9, "CODE", "User language, e.g. en-US.", "locale",
              platform="regionalSettings.language", profile=True),
    UserField("greeting_language", "Greeting language", 9, "CODE", "Greeting language.",
              "locale", platform="regionalSettings.greetingLanguage", profile=True),
    UserField("regional_format", "Regional format", 9, "CODE", "Regional format.", "locale",
              platform="regionalSettings.formattingLocale", profile=True),
    UserField("recording", "Automatic call recording", 9, "DIRECTION",
              "Automatic call recording: off, inbound, outbound or both.", "recording",
              platform="call-recording", choices=RECORDING, always=True, profile=True),
)  # fmt: skip
BY_NAME = {f.name: f for f in USER}
USER_FIELDS = tuple(f.name for f in USER)
# the platform's contact properties and the user's fields, in the order of the form
CONTACT = {
    f.platform.removeprefix("contact."): f.name
    for f in USER
    if f.platform and f.platform.startswith("contact.")
}
PULLED = tuple(f.name for f in USER if f.pulled)
# the form's order, with the extension's own fields where the seed puts them
FORM = (*USER_FIELDS[:3], "short_extension", *USER_FIELDS[3:7], "site", *USER_FIELDS[7:])
# What a profile (`extadmin profile`: named defaults of an assignment) may hold: the setup
# option, the form's fields declared `profile` (the job's, not the person's) with the extension's
# site in its place, and Engage Voice access (given at the assignment, as an import would)
PROFILE_FIELDS = (
    "setup",
    *(n for n in FORM if n == "site" or (n in BY_NAME and BY_NAME[n].profile)),
    "engage_voice",
)
# What a linked extension holds that the platform holds too, in the account file's words: the
# pulled base records these (`platform.mapping.view`), and a change to any is a local change.
BASE_FIELDS = ("number", "site", "status", *USER_FIELDS, "setup", "security_question")
# one label per field, wherever a person reads it
LABELS = {**OTHER_LABELS, **{f.name: f.label for f in USER}}


def label(key: str) -> str:
    return LABELS.get(key) or key.replace("_", " ").capitalize()
