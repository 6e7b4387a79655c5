"""Property tests of the account store: any valid document survives a save and a load in both
formats, byte for byte as before issue 27 in JSON; the codecs carry any text; the JSON decoder's
own checks vouch for every valid account and agree with the rule book on any spoiled one; and
no input whatever makes the loader fail with anything but AccountFileError."""

from __future__ import annotations

import copy
import json
import tempfile
from datetime import UTC
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extadmin.domain import rules
from extadmin.domain.account import Account
from extadmin.domain.catalog import LOCALES, PREDEFINED_ROLES, RECORDING, SETUP_OPTIONS
from extadmin.domain.fields import BASE_FIELDS
from extadmin.domain.model import SCHEMA_VERSION
from extadmin.errors import AccountFileError
from extadmin.storage import codec, decoder, files, schema
from extadmin.storage.store import AccountStore

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# any text a user could type, control characters and all: the codecs must carry it
texts = st.text(max_size=20)
# what a valid document holds (the load check applies the value rules, domain.rules): text
# without control characters; names not blank; addresses, phones, times in their form
plain = st.text(st.characters(exclude_categories=sorted(rules.CONTROL_CATEGORIES)), max_size=20)
names = plain.filter(str.strip)
emails = st.builds(
    "{}@{}".format,
    st.from_regex(r"[a-z0-9_+-]{1,10}(\.[a-z0-9]{1,8})?", fullmatch=True),
    st.sampled_from(["acme.example", "Mail.Acme.Example", "b\u00fccher.example"]),
)
phones = st.from_regex(r"\+[1-9][0-9]{1,14}", fullmatch=True)
times = st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat(timespec="seconds"))
numbers = st.integers(1, 999_999).map(str).filter(lambda n: n not in rules.RESERVED_NUMBERS)
unicast = st.binary(min_size=6, max_size=6).map(lambda b: bytes([b[0] & 0xFE]) + b[1:])
macs = unicast.map(lambda b: ":".join(f"{x:02X}" for x in b))  # the first byte even
devices = st.builds(
    lambda model, mac: {"model": model} | ({"mac": mac} if mac else {}),
    names,
    st.none() | macs,
)


def optional(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A dict holding any subset of the given fields."""
    return st.fixed_dictionaries({}, optional=fields)


def _user(required: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    user = required | extra
    if user.get("unique_email") is False:
        user["setup"] = "credentials"  # waived only for a user given credentials
    return user


users = st.builds(
    _user,
    st.fixed_dictionaries(
        {
            "first_name": names,
            "last_name": names,
            "email": emails,
            "role": st.sampled_from(PREDEFINED_ROLES),
            "language": st.sampled_from(sorted(LOCALES)),
            "greeting_language": st.sampled_from(sorted(LOCALES)),
            "regional_format": st.sampled_from(sorted(LOCALES)),
            "recording": st.sampled_from(RECORDING),
            "setup": st.sampled_from(sorted(SETUP_OPTIONS)),
        }
    ),
    optional(
        unique_email=st.booleans(),
        contact_phone=phones,
        job_title=plain,
        department=plain,
        created_at=times,
        credentials=optional(password_hash=plain, temporary_password=st.booleans(), pin_hash=plain),
        activation=st.fixed_dictionaries(
            {
                "token_hash": st.from_regex(r"sha256\$[0-9a-f]{64}", fullmatch=True),
                "expires_at": times,
            }
        ),
        engage_voice=st.fixed_dictionaries(
            {"access": st.sampled_from(["agent", "admin", "both"])},
            optional={"agent_group": plain},
        ),
    ),
)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    site_names = draw(st.lists(names, min_size=1, max_size=4, unique_by=lambda s: s.casefold()))
    codes = st.lists(st.integers(1, 99_999).map(str), max_size=len(site_names), unique=True)
    sites = [
        {"name": name} | ({"code": code} if code else {})
        for name, code in zip(site_names, draw(codes) + [""] * len(site_names), strict=False)
    ]
    extensions = []
    for number in draw(st.lists(numbers, max_size=12, unique=True)):
        ext: dict[str, Any] = {"number": number, "site": draw(st.sampled_from(site_names))}
        user = draw(st.none() | users)
        if user is None:
            ext["status"] = "unassigned"
        else:
            ext["status"] = draw(st.sampled_from(["not-activated", "enabled", "disabled"]))
            ext["user"] = user
        device = draw(st.none() | devices)
        if device is not None:
            ext["device"] = device
        if draw(st.booleans()):  # pulled from the platform: an id and the pulled base
            ext["id"] = str(62000000000 + len(extensions))
            ext["base"] = draw(st.dictionaries(st.sampled_from(BASE_FIELDS), plain, max_size=4))
            if ext["status"] == "unassigned" and draw(st.booleans()):
                del ext["number"]  # the platform may leave the number out
        extensions.append(ext)
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "account": {
            "name": draw(names),
            "country": draw(st.sampled_from(["US", "GB", "FR", "JP"])),
            "locale": draw(st.sampled_from(sorted(LOCALES))),
            "default_role": draw(st.sampled_from(PREDEFINED_ROLES)),
        }
        | draw(
            optional(
                activation_url=st.sampled_from(["https://acme.example/activate", "http://[::1]"]),
                token_days=st.integers(1, 365),
            )
        ),
        "sites": sites,
        "roles": list(PREDEFINED_ROLES) + draw(st.lists(plain, max_size=2)),
        "extensions": extensions,
    }
    doc |= draw(
        optional(
            security_questions=st.lists(plain, max_size=3),
            platform=st.fixed_dictionaries(
                {"server": plain, "client_id": plain, "account_id": numbers},
                optional={
                    "roles": st.lists(st.fixed_dictionaries({"name": plain, "id": plain})),
                    "languages": st.lists(
                        st.fixed_dictionaries(
                            {
                                "id": numbers,
                                "code": plain,
                                "name": plain,
                                "ui": st.booleans(),
                                "greeting": st.booleans(),
                                "formatting": st.booleans(),
                            }
                        ),  # fmt: skip
                        max_size=3,
                    ),
                },
            ),
            mail=st.fixed_dictionaries(
                {"host": names, "sender": plain},
                optional={
                    "port": st.integers(1, 65535),
                    "starttls": st.booleans(),
                    "timeout": st.integers(1, 600) | st.floats(0.5, 600),
                },
            ),
        )
    )
    return doc


@pytest.fixture(scope="module")
def folder() -> Any:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


@pytest.mark.parametrize("suffix", [".toml", ".json"])
@SETTINGS
@given(doc=documents())
def test_round_trip(folder: Path, suffix: str, doc: dict[str, Any]) -> None:
    path = folder / f"account{suffix}"
    store = AccountStore(path)
    store.save(Account(copy.deepcopy(doc)))
    assert store.read().doc == doc
    # and the file is plain TOML / JSON that another program can read
    assert codec.decode(path, path.read_bytes()) == doc


def written_before(doc: dict[str, Any]) -> bytes:
    """A JSON account as extadmin wrote it before issue 27 (be3b67c's codec._encode_json: one
    list item a line, each by the standard library's C encoder, as json.dumps writes it)."""
    text = "{"
    for key, value in doc.items():
        text += f"\n  {json.dumps(key)}: "
        if isinstance(value, list) and value:
            items = ",\n    ".join(json.dumps(item, ensure_ascii=False) for item in value)
            text += f"[\n    {items}\n  ]"
        else:
            text += json.dumps(value, ensure_ascii=False)
        text += ","
    return (text.removesuffix(",") + "\n}\n").encode("utf-8")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=documents(), chunk=st.sampled_from([1, 2, 4096]))
def test_the_json_file_is_written_as_before_and_reads_back_equal(
    doc: dict[str, Any], chunk: int
) -> None:
    """msgspec writes any valid account byte for byte as the standard library did (same keys,
    same order, same UTF-8, same newline at the end: existing files, their diffs and the
    audit log do not change), a few items at a time or all at once; the decoder reads it back
    equal, its own checks vouching for it (no second reading by the rule book)."""
    path = Path("acme.json")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(codec, "_CHUNK", chunk)
        data = codec.encode(path, doc)
    assert data == written_before(doc)
    assert decoder._load(path, data, None) == doc
    assert decoder.load(path, data) == doc


def rule_book(path: Path, data: bytes) -> Any:
    """The verdict of the standard library and schema.check_document: the document, or the
    refusal's message."""
    try:
        return schema.check_document(path, codec.decode(path, data))
    except AccountFileError as exc:
        return exc.message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), doc=documents(), layout=st.sampled_from(["store", "indent", "ascii"]))
def test_the_decoder_agrees_with_the_rule_book_on_a_spoiled_document(
    data: st.DataObject, doc: dict[str, Any], layout: str
) -> None:
    """A valid account with one part replaced by anything, removed, or one field added, written
    as the store writes it or by another program: a JSON read gives what the rule book gives
    (the document, or its refusal in its words), its own checks never vouching for what the
    rule book refuses; a filtered read is the whole less the extensions not kept."""
    spoil(data, doc)
    path = Path("acme.json")
    try:
        text = {
            "store": lambda: codec.encode(path, doc),
            "indent": lambda: json.dumps(doc, indent=2, ensure_ascii=False).encode(),
            "ascii": lambda: json.dumps(doc).encode(),
        }[layout]()
    except (UnicodeEncodeError, ValueError, TypeError):  # text no UTF-8 file can hold
        return
    expected = rule_book(path, text)
    try:
        got: Any = decoder.load(path, text)
    except AccountFileError as exc:
        got = exc.message
    assert got == expected
    try:
        fast = decoder._load(path, text, None)
    except (decoder.Doubt, AccountFileError, ValueError, RecursionError, msgspec.MsgspecError):
        return  # read again by the rule book
    assert fast == expected


@SETTINGS
@given(doc=documents())
def test_the_checker_accepts_every_valid_document(doc: dict[str, Any]) -> None:
    assert schema.check_document(Path("a.json"), copy.deepcopy(doc)) == doc


@pytest.mark.parametrize("suffix", [".toml", ".json"])
@SETTINGS
@given(doc=documents(), where=st.data(), text=texts)
def test_the_codecs_carry_any_text(suffix: str, doc: dict[str, Any], where: Any, text: str) -> None:
    """Control characters and all (the load check refuses them, the codecs must not lose or
    mangle them on the way there)."""
    path = Path(f"acme{suffix}")
    doc["account"]["name"] = text
    doc["roles"].append(where.draw(texts))
    assert codec.decode(path, codec.encode(path, doc)) == doc


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | texts,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=30,
)


def check_fails_cleanly(doc: Any) -> None:
    try:
        schema.check_document(Path("acme.json"), doc)
    except AccountFileError as exc:
        assert exc.message.startswith("acme.json: ")
        assert "\n" not in exc.message


@settings(max_examples=300, deadline=None)
@given(value=json_values)
def test_the_checker_on_any_value(value: Any) -> None:
    check_fails_cleanly(value)


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(obj, dict):
        for key, value in obj.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            found += _paths(value, (*prefix, i))
    return found


def spoil(data: st.DataObject, doc: dict[str, Any]) -> None:
    """One part of a document replaced by anything, or removed, or one field added."""
    where = data.draw(st.sampled_from(_paths(doc)[1:]))
    parent = doc
    for key in where[:-1]:
        parent = parent[key]
    action = data.draw(st.sampled_from(["replace", "remove", "add"]))
    if action == "replace":
        parent[where[-1]] = data.draw(json_values)
    elif action == "remove":
        del parent[where[-1]]
    elif isinstance(parent, dict):
        parent[data.draw(texts)] = data.draw(json_values)
    else:
        parent.append(data.draw(json_values))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), doc=documents())
def test_the_checker_on_a_spoiled_document(data: st.DataObject, doc: dict[str, Any]) -> None:
    """A valid document with one part replaced by anything, or one part removed, or one field
    added: the checker accepts it or reports it, nothing else."""
    spoil(data, doc)
    check_fails_cleanly(doc)


@pytest.mark.parametrize("suffix", [".toml", ".json"])
@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=200) | texts.map(str.encode))
def test_decoding_any_bytes(suffix: str, data: bytes) -> None:
    path = Path(f"acme{suffix}")
    try:
        schema.check_document(path, codec.decode(path, data))
    except AccountFileError as exc:
        assert exc.message.startswith(f"acme{suffix}: ")


@pytest.mark.parametrize("suffix", [".toml", ".json"])
@settings(max_examples=100, deadline=None)
@given(doc=documents(), cut=st.floats(0, 1, exclude_max=True))
def test_a_torn_file_never_breaks_the_loader(suffix: str, doc: dict[str, Any], cut: float) -> None:
    """What a non-atomic save would leave: the first part of a file. The loader reports it (or
    reads it, when the cut leaves a complete document) and fails with nothing else."""
    path = Path(f"acme{suffix}")
    data = codec.encode(path, doc)
    try:
        schema.check_document(path, codec.decode(path, data[: int(len(data) * cut)]))
    except AccountFileError as exc:
        assert exc.message.startswith(f"acme{suffix}: ")


# --- a file's new content, staged as it comes (files.Staged) ------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    old=st.none() | st.binary(max_size=40),
    parts=st.lists(st.binary(max_size=16), max_size=6),
    views=st.booleans(),
    block=st.integers(1, 8),
)
def test_staged_content_replaces_the_file_only_where_it_differs(
    old: bytes | None, parts: list[bytes], views: bool, block: int
) -> None:
    """Whatever the file held (or none) and however the new content comes in parts (bytes or
    views of them), the file holds the new content after the commit; content the same as the
    file's makes no temporary file and leaves the file untouched (its time stamp too); none is
    left behind either way."""
    new = b"".join(parts)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "acme.json"
        if old is not None:
            path.write_bytes(old)
            stamp = path.stat().st_mtime_ns
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(files.Staged, "BLOCK", block)  # the old content copied in small blocks
            with files.Staged(path) as staged:
                staged.write(*(memoryview(p) if views else p for p in parts))
                same, made = staged.same, staged.tmp is not None
                staged.commit(sync=False)
        assert path.read_bytes() == new
        assert same == (old == new) and made == (not same)
        if same:
            assert path.stat().st_mtime_ns == stamp
        assert [p.name for p in Path(folder).iterdir()] == ["acme.json"]


def test_a_file_cut_short_by_another_program_while_it_is_saved_is_left_alone(
    tmp_path: Path,
) -> None:
    """The new content matched the file's start, then another program (not extadmin: it
    keeps the lock) truncated the file in place: the save stops in one line, nothing saved,
    nothing left beside it (it used to wait for the old content for ever)."""
    path = tmp_path / "acme.json"
    old = bytes(range(256)) * 1024  # more than a read buffer holds
    path.write_bytes(old)
    with pytest.raises(AccountFileError) as refused, files.Staged(path) as staged:
        staged.write(old[:200_000])
        path.write_bytes(b"")  # truncated where it is, as an editor may
        staged.write(b"x")
    assert refused.value.message == (
        f"{path}: changed by another program while it was saved: nothing was saved"
    )
    assert path.read_bytes() == b"" and [p.name for p in tmp_path.iterdir()] == ["acme.json"]
