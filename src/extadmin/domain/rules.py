"""Every field rule of the assignment form (SPEC section 1, "Field rules"), one function each.

Each validator takes the raw value and returns the normalised value, or raises InvalidValue
naming the field and the rule. The walkthrough, the flags and the CSV import all call these.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Sequence
from functools import cache, lru_cache
from urllib.parse import urlsplit

from extadmin.domain.catalog import LOCALES, RECORDING, SECURITY_QUESTIONS, SETUP_OPTIONS
from extadmin.errors import InvalidValue

RESERVED_NUMBERS = frozenset({"911", "933", "988", "112", "999"} | {f"{n}11" for n in range(2, 9)})
MAX_EXTENSION = 999_999
NUMBER_RE = re.compile(r"[1-9][0-9]{0,5}")  # an extension number, as a file holds it
_MAC_DIGITS = re.compile(r"[0-9A-Fa-f]{12}")
# what mac_address returns (a unicast address: the first byte even), so what a file holds
MAC_RE = re.compile(r"[0-9A-F][02468ACE](?::[0-9A-F]{2}){5}")
_MAC_SEPARATORS = re.compile(r"[:\-.\s]")
PASSWORD_SPECIALS = "!@#$%^&*."


# --- extensions -------------------------------------------------------------------------------


def extension_number(value: str, field: str = "extension") -> str:
    """A digit string 1..999999 (no leading zero), not a reserved emergency/service number."""
    value = value.strip()
    if not NUMBER_RE.fullmatch(value):
        raise InvalidValue(
            field, f"{value!r} is not an extension number (digits, 1 to {MAX_EXTENSION})"
        )
    if value in RESERVED_NUMBERS:
        raise InvalidValue(field, f"{value} is a reserved emergency or service number")
    return value


def extension_ref(value: str, field: str = "extension") -> str:
    """An extension number, or a platform id (more than six digits: linked accounts name an
    extension pulled without a number by its id)."""
    value = value.strip()
    if value.isascii() and value.isdigit() and len(value) > len(str(MAX_EXTENSION)):
        return value
    return extension_number(value, field)


def extension_range(value: str, field: str = "extension") -> list[str]:
    """`205` or a range `201-250` (at most 10,000 numbers at once)."""
    if "-" not in value:
        return [extension_number(value, field)]
    first, _, last = value.partition("-")
    if not first.strip() or not last.strip():
        raise InvalidValue(field, f"{value!r} is not an extension number or range (201-250)")
    lo, hi = extension_number(first, field), extension_number(last, field)
    if int(hi) < int(lo):
        raise InvalidValue(field, f"range {value!r} ends before it starts")
    if int(hi) - int(lo) >= 10_000:
        raise InvalidValue(field, f"range {value!r} has more than 10000 numbers")
    return [str(n) for n in range(int(lo), int(hi) + 1) if str(n) not in RESERVED_NUMBERS]


def site_code(value: str) -> str:
    value = value.strip()
    if not re.fullmatch(r"[1-9][0-9]{0,4}", value):
        raise InvalidValue("site code", f"{value!r} must be 1 to 5 digits, not starting with 0")
    return value


def mac_address(value: str) -> str:
    """Accepts 00:04:f2:ab:cd:ef, 00-04-F2-AB-CD-EF, 0004.f2ab.cdef or 0004F2ABCDEF."""
    digits = _MAC_SEPARATORS.sub("", value)
    if not _MAC_DIGITS.fullmatch(digits):
        raise InvalidValue("mac", f"{value!r} is not a MAC address (12 hexadecimal digits)")
    if int(digits[:2], 16) & 1:
        raise InvalidValue("mac", f"{value!r} is a multicast address, not a device")
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2)).upper()


def device_model(value: str) -> str:
    return text(value, "device", required=True)


# --- names and free text ----------------------------------------------------------------------


# Control characters (C0, DEL, C1), format characters (bidirectional overrides, zero-width
# marks), line and paragraph separators, and lone surrogates (not characters: no UTF-8 file or
# terminal can hold one). No text field may hold one; render.safe shows them escaped.
CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
# ... but for the format characters that real names and titles use, which neither act on a
# terminal nor reorder text: the zero-width non-joiner (Persian, Hindi) and joiner (emoji
# sequences, Indic scripts), the soft hyphen, the word joiner, and the tag characters of
# subdivision flags (U+E0020-U+E007F)
NAME_FORMAT = frozenset("\u200c\u200d\u00ad\u2060") | frozenset(map(chr, range(0xE0020, 0xE0080)))


def is_control(ch: str) -> bool:
    """A character no text field may hold (CONTROL_CATEGORIES, but NAME_FORMAT)."""
    return unicodedata.category(ch) in CONTROL_CATEGORIES and ch not in NAME_FORMAT


def control_char(value: str) -> str | None:
    """The first control character in `value` (is_control), or None. Cheap on ordinary text:
    str.isprintable() (C) is true only when none is there, so the per-character look-up runs
    only for the rare text it is not (a no-break space, a joiner, a private-use character...)."""
    if value.isprintable():
        return None
    return next((ch for ch in value if is_control(ch)), None)


def no_control(value: str, field: str) -> str:
    found = control_char(value)
    if found is not None:
        raise InvalidValue(field, f"must not contain control characters (U+{ord(found):04X})")
    return value


TEXT_LIMIT = 64  # the most characters of a name or a free text field


def text(value: str | None, field: str, *, required: bool = False, limit: int = TEXT_LIMIT) -> str:
    """Trimmed, at most `limit` characters, no control characters."""
    value = (value or "").strip()
    if required and not value:
        raise InvalidValue(field, "is required")
    if len(value) > limit:
        raise InvalidValue(field, f"must be at most {limit} characters (got {len(value)})")
    if not value.isprintable():  # no_control's own first test, without the call
        no_control(value, field)
    return value


def first_name(value: str | None) -> str:
    return text(value, "first name", required=True)


def last_name(value: str | None) -> str:
    return text(value, "last name", required=True)


# --- email and phones -------------------------------------------------------------------------


def email(value: str | None, field: str = "email") -> str:
    """RFC syntax with email-validator (no DNS look-ups); returns the normalised address."""
    value = (value or "").strip()
    if not value:
        raise InvalidValue(field, "is required")
    try:
        return _normalised(value)
    except ValueError as exc:
        from email_validator import EmailNotValidError

        if not isinstance(exc, EmailNotValidError):
            raise
        raise InvalidValue(field, f"{value!r} is not a valid address: {exc}") from None


def email_syntax(value: str, field: str = "email") -> None:
    """email()'s verdict on an address without its normalised form, over many addresses at
    once (the load check of an account of 100,000)."""
    if _plain(value) is None:
        email(value, field)  # raises, naming what is wrong (or accepts an unusual valid address)


# bulk-assign asks of each row's address twice, one just after the other (for a duplicate of
# another row's, then in the row's own check): validated once
@lru_cache(maxsize=256)
def _normalised(value: str) -> str:
    plain = _plain(value)
    if plain is not None:
        return plain
    from email_validator import validate_email

    return validate_email(value, check_deliverability=False).normalized


_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*")  # a subset of RFC dot-atom


def _plain(value: str) -> str | None:
    """The normalised form of a plain address, the library's own, at a fraction of its cost
    (some 70 us an address; an account holds up to 100,000 over a few domains): ASCII, a
    dot-atom local part of letters, digits, `.`, `_`, `+` and `-` that is not one of the
    mailbox names the library lowercases (`postmaster`), no IDNA `xn--` label, at most 254
    characters. Such an address is valid exactly when its domain is, and is normalised as its
    domain is; each domain is asked of the library once. None for any other address (the
    library's alone) or an invalid domain."""
    local, _, domain = value.rpartition("@")
    if (
        len(value) <= 254
        and value.isascii()
        and _PLAIN_LOCAL.fullmatch(local)
        and local.lower() not in _lowercased()
        and "xn--" not in domain.lower()
    ):
        normal = _plain_domain(domain)
        return None if normal is None else f"{local}@{normal}"
    return None


@cache
def _lowercased() -> frozenset[str]:
    from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

    return frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)


@lru_cache(maxsize=4096)
def _plain_domain(domain: str) -> str | None:
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email("a@" + domain, check_deliverability=False).domain
    except EmailNotValidError:
        return None


def email_key(normalised: str) -> str:
    """The comparison key for uniqueness: case-insensitive on the normalised address."""
    return normalised.casefold()


def phone(value: str | None, country: str, field: str, *, mobile: bool = False) -> str:
    """Parsed against the account's country, returned in E.164; '' when not given."""
    value = (value or "").strip()
    if not value:
        return ""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(value, country)
    except phonenumbers.NumberParseException:
        raise InvalidValue(field, f"{value!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidValue(field, f"{value!r} is not a valid phone number for {country}")
    if mobile and phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.TOLL_FREE:
        raise InvalidValue(field, f"{value!r} is a toll-free number, not a mobile phone")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


E164_RE = re.compile(r"\+[1-9][0-9]{1,14}")


def e164(value: str, field: str) -> str:
    """A phone number as the account file holds it: the E.164 form phone() returns (+, the
    country code, at most 15 digits in all). Whether it is a valid number of the account's
    country, and not toll-free for a mobile, is phone()'s to judge when it is entered: that
    takes the phone library (some 50 us a number) and its metadata, which changes with it."""
    if not E164_RE.fullmatch(value):
        raise InvalidValue(field, f"{value!r} is not a phone number in E.164 form (+16175550123)")
    return value


# The codes the phone library knows (phonenumbers.SUPPORTED_REGIONS, 8.13 and later): a file's
# country among them is taken as it is, without loading the library (some 15 ms of every
# command that reads an account); any other is asked of it (country). Every one is the
# library's: tests/test_json_decoder.py.
COUNTRIES = frozenset(
    "AC AD AE AF AG AI AL AM AO AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO "
    "BQ BR BS BT BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK "
    "DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ "
    "GR GT GU GW GY HK HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM "
    "KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO "
    "MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH "
    "PK PL PM PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR "
    "SS ST SV SX SY SZ TA TC TD TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG US UY UZ VA VC "
    "VE VG VI VN VU WF WS XK YE YT ZA ZM ZW".split()
)


def country(value: str) -> str:
    """A two-letter country code the phone library knows (phone numbers are parsed against it),
    upper-cased."""
    import phonenumbers

    code = value.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidValue("country", f"{value!r} is not a two-letter country code (US, GB, FR)")
    return code


# --- password, PIN, security answer -----------------------------------------------------------


def _runs(value: str, length: int) -> Iterable[str]:
    return (value[i : i + length] for i in range(len(value) - length + 1))


def _is_sequence(chunk: str) -> bool:
    """Three or more letters or digits in strict ascending or descending order (abc, 321)."""
    if not (chunk.isdigit() or chunk.isalpha()) or not chunk.isascii():
        return False
    steps = {ord(b) - ord(a) for a, b in zip(chunk.lower(), chunk[1:].lower(), strict=False)}
    return steps in ({1}, {-1})


def password(value: str, *, personal: Sequence[str] = ()) -> str:
    """8-32 chars; a letter and a digit; an uppercase letter or one of !@#$%^&*.; no aaa, no
    abc/123/cba; must not contain the extension number, first/last name, email local part."""
    field = "password"
    if not 8 <= len(value) <= 32:
        raise InvalidValue(field, "must be 8 to 32 characters")
    if not any(c.isalpha() for c in value) or not any(c.isdigit() for c in value):
        raise InvalidValue(field, "must contain at least one letter and one digit")
    if not any(c.isupper() or c in PASSWORD_SPECIALS for c in value):
        raise InvalidValue(
            field, f"must contain an uppercase letter or one of {' '.join(PASSWORD_SPECIALS)}"
        )
    if any(len(set(run.lower())) == 1 for run in _runs(value, 3)):
        raise InvalidValue(field, "must not repeat a character three times in a row (aaa, 111)")
    if any(_is_sequence(run) for run in _runs(value, 3)):
        raise InvalidValue(field, "must not contain three sequential characters (abc, 123, cba)")
    lowered = value.casefold()
    for item in personal:
        if len(item) >= 3 and item.casefold() in lowered:
            raise InvalidValue(
                field, "must not contain the extension number, the user's name or email"
            )
    return value


def _pin_is_sequential(run: str) -> bool:
    steps = {(int(b) - int(a)) % 10 for a, b in zip(run, run[1:], strict=False)}
    return steps in ({1}, {9})


def pin(value: str, *, extension: str = "", phones: Sequence[str] = ()) -> str:
    """6-10 digits; no run of 4 sequential digits (1234, 7890, 4321); no digit three times in a
    row; no pattern repeated over the whole PIN (050505); not containing the extension number
    (3+ digits) or the last 6 digits of a phone."""
    field = "PIN"
    if not (value.isascii() and value.isdigit()) or not 6 <= len(value) <= 10:
        raise InvalidValue(field, "must be 6 to 10 digits")
    if any(_pin_is_sequential(run) for run in _runs(value, 4)):
        raise InvalidValue(field, "must not contain 4 sequential digits (1234, 7890, 4321)")
    if any(len(set(run)) == 1 for run in _runs(value, 3)):
        raise InvalidValue(field, "must not repeat a digit three times in a row (222)")
    n = len(value)
    if any(n % k == 0 and value == value[:k] * (n // k) for k in range(1, n // 2 + 1)):
        raise InvalidValue(field, "must not be a repeating pattern (050505, 121212)")
    if len(extension) >= 3 and extension in value:
        raise InvalidValue(field, "must not contain the extension number")
    for number in phones:
        tail = "".join(c for c in number if c.isdigit())[-6:]
        if len(tail) == 6 and tail in value:
            raise InvalidValue(field, "must not contain the last 6 digits of a phone number")
    return value


def security_question(value: str, questions: Sequence[str] = SECURITY_QUESTIONS) -> str:
    """The question's number in `security-question list` (the account's questions:
    account.security_questions), or its text."""
    value = value.strip()
    if value.isascii() and value.isdigit() and 1 <= int(value) <= len(questions):
        return questions[int(value) - 1]
    for question in questions:
        if question.casefold() == value.casefold():
            return question
    raise InvalidValue(
        "security question",
        f"{value!r} is not one of the {len(questions)} questions in `security-question list`",
    )


def normalise_answer(value: str) -> str:
    """Answers compare case-insensitively and ignore surrounding and repeated spaces."""
    return " ".join(value.split()).casefold()


def security_answer(value: str) -> str:
    if len(normalise_answer(value)) < 5:
        raise InvalidValue("security answer", "must be at least 5 characters")
    return value


# --- invitations ------------------------------------------------------------------------------

MAX_TOKEN_DAYS = 365


def token_days(value: int) -> int:
    """How many days an activation link stays valid: 1 to 365."""
    if not 1 <= value <= MAX_TOKEN_DAYS:
        raise InvalidValue("token days", f"{value!r} is not 1 to {MAX_TOKEN_DAYS} days")
    return value


def activation_url(value: str) -> str:
    """The page an activation link points to: an https address with a host and without a
    query or fragment (extadmin appends `?extension=...&token=...`); plain http only to this
    machine (the link carries a one-time token)."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if (
        parts is None
        or not host
        or parts.scheme not in ("https", "http")
        or (parts.scheme == "http" and not is_loopback(host))
        or "?" in value
        or "#" in value
        or any(ch.isspace() for ch in value)
    ):
        raise InvalidValue(
            "activation url",
            f"{value!r} is not an https:// address without a query or fragment "
            "(https://phones.example/activate; http:// only to this machine)",
        )
    return no_control(value, "activation url")


# --- choices ----------------------------------------------------------------------------------


def as_written(check: Callable[[str], str], known: Collection[str] = ()) -> Callable[[str], None]:
    """The validator's rule, and the value as the commands store it (`en-US`, not `en-us`;
    `00:04:F2:AB:CD:EF`, not `0004f2abcdef`): code reading the file compares it as written.
    A value in `known` is that already, without a call."""

    def rule(value: str) -> None:
        if value not in known:
            written = check(value)
            if written != value:
                raise InvalidValue("", f"{value!r} must be written {written!r}")

    return rule


def choice(value: str, options: Iterable[str], field: str) -> str:
    """One of `options`, matched case-insensitively; returns the canonical spelling."""
    options = list(options)
    for option in options:
        if option.casefold() == value.strip().casefold():
            return option
    raise InvalidValue(field, f"{value!r} is not one of: {', '.join(options)}")


def locale(value: str, field: str) -> str:
    return choice(value, LOCALES, field)


def recording(value: str) -> str:
    return choice(value, RECORDING, "recording")


def setup_option(value: str) -> str:
    return choice(value, SETUP_OPTIONS, "setup")


def boolean(value: str, field: str) -> bool:
    """CSV booleans: yes/no, true/false, 1/0, y/n, on/off."""
    v = value.strip().casefold()
    if v in ("yes", "y", "true", "t", "1", "on"):
        return True
    if v in ("no", "n", "false", "f", "0", "off"):
        return False
    raise InvalidValue(field, f"{value!r} is not yes or no")


def is_loopback(host: str) -> bool:
    """A host on this machine: the only kind extadmin talks to without encryption (a test
    server, a local mail relay)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# --- many values at once ----------------------------------------------------------------------
# The load check of a large account file (storage/decoder.py) asks a rule of a column of values
# (every extension number, every address): each of these gives the rule's verdict over all of
# them in a few C calls, not one Python call per value. True when every value holds the rule;
# False when one may not, and the caller asks the rule itself (for its message).


@cache
def _every_pattern(pattern: re.Pattern[str]) -> re.Pattern[str]:
    return re.compile(f"(?:{pattern.pattern})(?:\n(?:{pattern.pattern}))*", pattern.flags)


def every(pattern: re.Pattern[str], values: Sequence[str]) -> bool:
    """pattern.fullmatch holds for every value: one match over the values joined by newlines
    (the pattern must not match a newline itself; a value holding one is matched alone)."""
    if not values:
        return True
    joined = "\n".join(values)
    if joined.count("\n") != len(values) - 1:
        return all(map(pattern.fullmatch, values))
    return _every_pattern(pattern).fullmatch(joined) is not None


def texts_fit(values: Sequence[str], *, required: bool = False, limit: int = TEXT_LIMIT) -> bool:
    """text()'s length rules over many values: trimmed, at most `limit` characters, and not
    empty if `required`. Not its control-character rule: the caller checks those of a whole
    file at once (controls_in)."""
    if not values:
        return True
    if max(map(len, values)) > limit and any(len(v.strip()) > limit for v in values):
        return False
    return not required or "" not in map(str.strip, values)


def controls_in(chars: Iterable[str]) -> bool:
    """Whether any of the characters is a control character (is_control): the characters of a
    file, each once (a set), without the ones that are plainly none (printable ASCII)."""
    return any(map(is_control, chars))


_PLAIN_ADDRESS = rf"{_PLAIN_LOCAL.pattern}@[^@\n]*"
_PLAIN_ADDRESSES = re.compile(f"{_PLAIN_ADDRESS}(?:\n{_PLAIN_ADDRESS})*")
_DOMAINS = re.compile(r"@([^\n]*)")
# what a plain address is made of (_PLAIN_LOCAL, and an ASCII domain of labels)
_ADDRESS_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-.@\n".encode(
    "ascii"
)


@cache
def _lowercased_lines() -> re.Pattern[str]:
    """A line of lower-cased addresses whose local part is one the library lowercases."""
    return re.compile("\n(?:" + "|".join(map(re.escape, sorted(_lowercased()))) + ")@")


def _plain_lines(joined: str, domains: list[str]) -> bool:
    """Whether each line is a plain address, `domains` the text after each line's first @: a
    dot-atom local part (_PLAIN_LOCAL), one @, a domain (the library judges it). A few C calls
    when the text is made of _ADDRESS_CHARS only; else the pattern."""
    if joined.encode("ascii").translate(None, _ADDRESS_CHARS):
        return _PLAIN_ADDRESSES.fullmatch(joined) is not None
    lines = joined.count("\n") + 1
    return (
        len(domains) == lines == joined.count("@")  # one @ a line
        and not joined.startswith(("@", "."))
        and not any(part in joined for part in ("\n@", "\n.", ".@", ".."))
    )


def emails_syntax(values: Sequence[str]) -> bool:
    """email_syntax() over many addresses at once. Plain ones (_plain: ASCII, a dot-atom local
    part) all at once: one pattern over them, their domains each asked once; any other address,
    or one of a domain or a mailbox name _plain leaves to the library, on its own."""
    if not values:
        return True
    joined = "\n".join(values)
    domains = _DOMAINS.findall(joined)
    if (
        joined.count("\n") != len(values) - 1
        or not joined.isascii()
        or max(map(len, values)) > 254
        or not _plain_lines(joined, domains)
    ):
        alone: Iterable[str] = values
    else:  # each line a plain local part, one @ and a domain
        odd = {d for d in set(domains) if "xn--" in d.lower() or _plain_domain(d) is None}
        named = _lowercased_lines().search("\n" + joined.lower()) is not None
        # a mailbox name the library lowercases (postmaster@), or a domain it refuses
        alone = (
            [
                v
                for v in values
                if v.rpartition("@")[2] in odd or v.partition("@")[0].lower() in _lowercased()
            ]
            if odd or named
            else []
        )
    try:
        for value in alone:
            email_syntax(value)
    except InvalidValue:
        return False
    return True
