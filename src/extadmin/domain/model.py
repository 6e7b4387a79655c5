"""The account document's shape: plain data (TypedDicts), so that loading and saving a large
account costs no more than the JSON/TOML codec itself. `storage.schema` checks it on load."""

from __future__ import annotations

from typing import Required, TypedDict

SCHEMA_VERSION = 2  # 2: the platform link (platform table; ids of sites and extensions; base)


class Device(TypedDict, total=False):
    model: Required[str]
    mac: str


class Credentials(TypedDict, total=False):
    password_hash: str
    temporary_password: bool
    pin_hash: str
    security_question: str
    security_answer_hash: str


class Activation(TypedDict):
    token_hash: str
    expires_at: str


class EngageVoice(TypedDict, total=False):
    access: Required[str]
    agent_group: str
    first_name: str
    last_name: str
    email: str
    imported_at: str


class User(TypedDict, total=False):
    first_name: Required[str]
    last_name: Required[str]
    email: Required[str]
    unique_email: bool
    contact_phone: str
    mobile_phone: str
    job_title: str
    department: str
    role: Required[str]
    # absent on a user pulled from the platform until read one by one (its list has no
    # regional settings): "as set on the platform"
    language: str
    greeting_language: str
    regional_format: str
    recording: Required[str]
    setup: str  # absent on a user pulled from the platform (set up there)
    created_at: str
    credentials: Credentials
    activation: Activation
    engage_voice: EngageVoice


class Extension(TypedDict, total=False):
    number: str  # absent only on an unassigned extension pulled without one (it has an id)
    site: Required[str]
    status: Required[str]
    device: Device
    user: User
    id: str  # the platform's id (linked accounts)
    base: dict[str, str]  # the platform's view of it at the last pull (fields.BASE_FIELDS)
    release: bool  # (linked, unassigned) the next apply releases its line and number


class Site(TypedDict, total=False):
    name: Required[str]
    code: str
    id: str  # the platform's id (linked accounts); the main site's is "main-site"


class RoleId(TypedDict):
    name: str
    id: str


class QuestionId(TypedDict):
    id: str
    text: str


class Language(TypedDict):
    id: str
    code: str
    name: str
    ui: bool
    greeting: bool
    formatting: bool


class PlatformLink(TypedDict, total=False):
    """A file linked to a platform account (`extadmin platform connect`)."""

    server: Required[str]
    client_id: Required[str]
    account_id: Required[str]
    roles: list[RoleId]  # the account's role names and their platform ids
    languages: list[Language]  # the platform's language dictionary
    credentials_api: bool  # the app may set security questions (connect --credentials-api)
    security_questions: list[QuestionId]  # the platform's, pulled with the credentials API


class MailSettings(TypedDict, total=False):
    host: Required[str]
    port: int
    sender: Required[str]
    username: str
    tls: str  # starttls | implicit | none (services.mail.TLS_MODES)
    starttls: bool  # before `tls`: true is starttls, false none
    timeout: float


class AccountInfo(TypedDict, total=False):
    name: Required[str]
    country: Required[str]
    locale: Required[str]
    default_role: Required[str]
    activation_url: str
    token_days: int


# A profile (`extadmin profile`): its `name`, `default_for_site` (a site's name: a bare `assign`
# on that site's extensions starts from it), and a value for some of fields.PROFILE_FIELDS, each
# as `assign` stores it; plain strings, so that a field declared `profile` needs no key here.
Profile = dict[str, str]


class Document(TypedDict, total=False):
    schema_version: Required[int]
    account: Required[AccountInfo]
    sites: Required[list[Site]]
    roles: Required[list[str]]
    security_questions: list[str]
    mail: MailSettings
    platform: PlatformLink
    profiles: list[Profile]
    extensions: Required[list[Extension]]
