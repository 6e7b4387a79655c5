"""The JSON decoder's own checks (issue 27) are the rule book's rules, applied to many values at
once: each form for many values of domain/rules.py gives the verdict of the rule it stands for,
value by value; what the decoder declares in msgspec's types comes from storage/schema.py's
specs; and nothing of it loads at start-up. (That the decoder reads every file as the rule book
does: tests/test_storage_properties.py and tests/test_large_accounts.py.)"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from extadmin.domain import fields, rules
from extadmin.errors import InvalidValue
from extadmin.storage import decoder, schema

SOME = settings(max_examples=300, deadline=None)


def holds(rule: Callable[[str], object], value: str) -> bool:
    try:
        rule(value)
    except InvalidValue:
        return False
    return True


# --- the forms for many values give each rule's verdict ---------------------------------------

PATTERNS = [rules.NUMBER_RE, rules.E164_RE, rules.MAC_RE, schema.ID_RE, schema.TOKEN_HASH_RE]
near = st.sampled_from(
    ["1", "101", "0101", "999999", "1000000", "+16175550123", "+0123", "00:04:F2:AB:CD:EF",
     "01:04:F2:AB:CD:EF", "00:04:f2:ab:cd:ef", "sha256$" + "0" * 64, "62000000001", "", "\n",
     "101\n102", "１２３"]
)  # fmt: skip


@SOME
@given(pattern=st.sampled_from(PATTERNS), values=st.lists(near | st.text(max_size=8)))
def test_every_is_fullmatch_on_each_value(pattern: re.Pattern[str], values: list[str]) -> None:
    assert rules.every(pattern, values) == all(pattern.fullmatch(v) for v in values)


macs = st.binary(min_size=6, max_size=6).map(lambda b: ":".join(f"{x:02X}" for x in b))


@SOME
@given(value=macs | macs.map(str.lower) | near | st.text(max_size=20))
@example(value="00:04:F2:AB:CD:EF")
@example(value="01:04:F2:AB:CD:EF")
def test_mac_re_is_what_mac_address_writes(value: str) -> None:
    """A file's MAC address holds its rule (written as mac_address writes it, a unicast
    address) exactly when MAC_RE matches it."""
    assert holds(rules.as_written(rules.mac_address), value) == bool(rules.MAC_RE.fullmatch(value))


texts = st.text(
    st.characters(exclude_categories=sorted(rules.CONTROL_CATEGORIES)) | st.sampled_from(" \u3000"),
    max_size=70,
)


@SOME
@given(values=st.lists(texts), required=st.booleans(), limit=st.sampled_from([0, 5, 64]))
def test_texts_fit_is_text_on_each_value(values: list[str], required: bool, limit: int) -> None:
    """text()'s limits (control characters aside: the decoder checks those of a whole file)."""
    assert rules.texts_fit(values, required=required, limit=limit) == all(
        holds(lambda v: rules.text(v, "", required=required, limit=limit), v) for v in values
    )


locals_ = st.from_regex(r"[A-Za-z0-9_+.\-]{1,20}", fullmatch=True) | st.sampled_from(
    ["info", "Postmaster", "a..b", ".a", "a.", "", "a b", "ä", '"a"', "a@b"]
)
domains = st.sampled_from(
    ["acme.example", "ACME.Example", "localhost", "corp.local", "x.test", "a.invalid", "ex..com",
     "-ex.com", "xn--bcher-kva.example", "b\u00fccher.example", "[1.2.3.4]", "co.uk", "", "a_b.com"]
)  # fmt: skip
addresses = st.builds("{}@{}".format, locals_, domains) | st.text(max_size=12)


@SOME
@given(values=st.lists(addresses, max_size=8))
@example(values=["a@acme.example", "b\nc@acme.example"])
@example(values=["a@b@acme.example", "c"])
def test_emails_syntax_is_email_syntax_on_each_value(values: list[str]) -> None:
    assert rules.emails_syntax(values) == all(holds(rules.email_syntax, v) for v in values)


@SOME
@given(chars=st.sets(st.characters(codec=None), max_size=20))
def test_controls_in_is_is_control(chars: set[str]) -> None:
    assert rules.controls_in(chars) == any(map(rules.is_control, chars))


def test_the_countries_taken_without_the_phone_library_are_its_own() -> None:
    """rules.COUNTRIES are accepted without loading phonenumbers: every one must be a region it
    supports (a newer phonenumbers may support more; those are asked of it)."""
    import phonenumbers

    assert rules.COUNTRIES <= phonenumbers.SUPPORTED_REGIONS
    for code in rules.COUNTRIES:
        assert rules.country(code) == code


# --- the decoder's types come from the specs ---------------------------------------------------


def test_every_user_field_rule_has_a_form_for_many_values() -> None:
    """A field declared in domain/fields.py whose rule has no form for many values would be
    checked one value at a time (right, but slow at 100,000): each kind has one, or is one of
    a set the decoder checks."""
    for field in fields.USER:
        if field.load is not None:
            assert field.kind in decoder._MANY_BY_KIND or field.kind in decoder._KIND_CHOICES


def test_every_extension_field_is_decoded_or_looked_at() -> None:
    """Each field of the extension's tables is in the decoder's type, and those that are not
    plain strings without a rule are looked at by the column checks."""
    import msgspec

    info = msgspec.inspect.type_info(decoder._decoders()[1].type)
    extension = info.item_type  # type: ignore[attr-defined]
    assert {f.name for f in extension.fields} == set(schema.EXTENSION)
    user = next(f.type for f in extension.fields if f.name == "user")
    assert {f.name for f in user.fields} == set(schema.USER)
    for spec in (schema.DEVICE, schema.CREDENTIALS, schema.ACTIVATION, schema.ENGAGE):
        for key, (kind, _, _) in spec.items():
            if kind is not str or schema.RULES.get(id(spec), {}).get(key) is not None:
                assert key in decoder._looked_at(spec)


@pytest.mark.parametrize(
    ("text", "doubt"),
    [
        (b'{"a": "plain"}', False),
        (b'{"a": "\\u001b"}', True),
        (b'{"a": "\\n"}', True),
        (b'{"a": "\\\\n"}', False),  # an escaped backslash, then n
        (b'{"a": "\\\\\\n"}', True),
        (b'{"a": "\\"quoted\\""}', False),
        (b'{"a": "\x7f"}', True),
        ('{"a": "Zoë \u200d"}'.encode(), False),  # a joiner: what names use
        ('{"a": "\u202e"}'.encode(), True),
        ('{"a": "\u00a0"}'.encode(), False),  # a no-break space: not a control character
    ],
)
def test_the_control_characters_of_a_file_at_once(text: bytes, doubt: bool) -> None:
    assert decoder._controls(text) == doubt


def test_json_is_not_loaded_at_start_up() -> None:
    """msgspec loads with the first JSON account read or written, not with the command line."""
    code = "import sys, extadmin.cli; print('msgspec' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def test_the_decoder_reads_the_bundled_example_without_a_second_reading() -> None:
    example = Path(__file__).parent.parent / "examples" / "acme.json"
    data = example.read_bytes()
    doc: Any = decoder._load(example, data, None)
    assert doc == schema.check_document(example, __import__("json").loads(data))
