"""The account document's shape: plain data (TypedDicts), so that loading and saving a large
account costs no more than the JSON/TOML codec itself. `storage.schema` checks it on load."""

from __future__ import annotations

from typing import Required, TypedDict

SCHEMA_VERSION = 1


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
    language: Required[str]
    greeting_language: Required[str]
    regional_format: Required[str]
    recording: Required[str]
    setup: Required[str]
    created_at: str
    credentials: Credentials
    activation: Activation
    engage_voice: EngageVoice


class Extension(TypedDict, total=False):
    number: Required[str]
    site: Required[str]
    status: Required[str]
    device: Device
    user: User


class Site(TypedDict, total=False):
    name: Required[str]
    code: str


class MailSettings(TypedDict, total=False):
    host: Required[str]
    port: int
    sender: Required[str]
    username: str
    starttls: bool
    timeout: float


class AccountInfo(TypedDict, total=False):
    name: Required[str]
    country: Required[str]
    locale: Required[str]
    default_role: Required[str]
    activation_url: str
    token_days: int


class Document(TypedDict, total=False):
    schema_version: Required[int]
    account: Required[AccountInfo]
    sites: Required[list[Site]]
    roles: Required[list[str]]
    security_questions: list[str]
    mail: MailSettings
    extensions: Required[list[Extension]]
