"""What makes large accounts cheap, proven correct on any input: the JSON decoder that checks
every extension and drops those a command does not keep, a run of the file at a time
(list-unassigned, extension show), the record of contents already checked (a hand edit is always
checked again), the one-call encoder of lists, and the email index that scans for one look-up
and builds a dict for many."""

from __future__ import annotations

import contextlib
import io
import json
from functools import partial
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from extadmin import render
from extadmin.cli.engage_voice import ENGAGE_COLUMNS
from extadmin.cli.extension import EXTENSION_COLUMNS, UNASSIGNED_COLUMNS
from extadmin.cli.recording import RECORDING_COLUMNS
from extadmin.cli.users import USER_COLUMNS
from extadmin.domain import lazy
from extadmin.domain.account import Account, in_number_order, number_order
from extadmin.errors import AccountFileError, NotFound
from extadmin.services import accounts, bulk, extensions, lifecycle, views
from extadmin.services.directory import EmailIndex
from extadmin.storage import checked, codec, decoder, files, schema
from extadmin.storage.store import AccountStore
from tests.helpers import audit, audit_path

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)

# --- the decoder that checks every extension, a run at a time ---------------------------------

# bytes of the list decoded at once: one item a run, a few, the whole list
runs = st.sampled_from([0, 1, 200, 2000, decoder.RUN])
statuses = st.sampled_from(["unassigned", "enabled", "not-activated"])
tricky = st.sampled_from(
    ['"status": "unassigned"', "\\", '"', "}, {", "},\n", '"status"', "x", "Zoë", "[1]", "\u00e9"]
)


def unassigned(ext: dict[str, Any]) -> bool:
    return ext.get("status") == "unassigned"


def rule_book(path: Path) -> Any:
    """The standard library's json and schema.check_document: the document, or its refusal."""
    try:
        return schema.check_document(path, json.loads(path.read_bytes()))
    except (AccountFileError, ValueError) as exc:
        return getattr(exc, "message", "malformed")


@st.composite
def accounts_as_written(draw: st.DrawFn, edited: bool = True) -> str:
    """A small account in the store's layout (maybe linked: a platform table after the
    extensions, or, by hand, before them with a key of their name), each extension's line
    possibly (if `edited`) edited by hand afterwards: a key spaced, escaped, given twice or
    misspelt, a value escaped or of another type, a list of tables inside (a line break within
    an item)."""
    exts = []
    for n in range(draw(st.integers(0, 30))):
        ext: dict[str, Any] = {"number": str(100 + n), "site": "Main Site", "status": "unassigned"}
        if draw(st.booleans()):
            ext["status"] = draw(statuses.filter(lambda s: s != "unassigned"))
            ext["user"] = {"first_name": draw(tricky), "last_name": "Byron",
                           "email": f"u{n}@acme.example", "role": "Manager",
                           "recording": "off", "job_title": draw(tricky)}  # fmt: skip
        if draw(st.booleans()):
            ext["device"] = {"model": "Yealink T54W", "mac": f"00:04:F2:00:00:{n:02X}"}
        exts.append(ext)
    doc = {
        "schema_version": 2,
        "account": {"name": "Acme", "country": "US", "locale": "en-US", "default_role": "Manager"},
        "sites": [{"name": "Main Site"}],
        "roles": ["Manager"],
        "extensions": exts,
    }
    link = {"server": "https://platform.example", "client_id": "c", "account_id": "1"}
    where = draw(st.sampled_from(["none", "after", "before, with a look-alike"]))
    if where == "after":  # as a linked file holds it: the list is then not the file's end
        doc["platform"] = link
    elif where != "none":  # a hand edit: the link first, holding a key of the list's name
        doc = {"platform": {**link, "extensions": draw(st.sampled_from([[], exts[:1]]))}, **doc}
    lines = codec.encode(Path("account.json"), doc).decode().split("\n")
    for i, line in enumerate(lines):
        if edited and line.startswith('    {"number"') and draw(st.integers(0, 4)) == 0:
            how = draw(st.sampled_from(
                ["spacing", "escaped", "twice", "key escaped", "unknown", "a number", "nested"]
            ))  # fmt: skip
            value = draw(statuses)
            if how == "spacing":
                line = line.replace('"status": ', '"status" :', 1)
            elif how == "escaped":
                line = line.replace('"site": "M', '"site": "\\u004d', 1)
            elif how == "twice":
                line = line.replace('{"number"', f'{{"status": "{value}", "number"', 1)
            elif how == "key escaped":
                line = line.replace('"status"', '"st\\u0061tus"', 1)
            elif how == "unknown":
                line = line.replace('"site"', '"frist_name": "x", "site"', 1)
            elif how == "a number":
                line = line.replace('"number": "1', '"number": 1', 1).replace(
                    '", "site"', ', "site"', 1
                )
            else:
                nested = f'"x": [{{"status": "{value}"}},\n    {{"status": "unassigned"}}], '
                line = line.replace('"number"', nested + '"number"', 1)
            lines[i] = line
    return "\n".join(lines)


@settings(max_examples=300, deadline=None)
@given(text=accounts_as_written(), run=runs)
def test_the_decoder_agrees_with_the_rule_book(
    tmp_path_factory: pytest.TempPathFactory, text: str, run: int
) -> None:
    """Whatever a hand edit leaves (a key spaced, escaped, given twice or unknown; a value
    escaped or of another type; a line break within an extension), whatever the length of a
    run: a read gives the rule book's document or its refusal, in its words; the decoder's own
    check never vouches for what the rule book refuses; a filtered read is the whole less the
    extensions not kept."""
    path = tmp_path_factory.mktemp("acct") / "acme.json"
    path.write_text(text)
    expected = rule_book(path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(decoder, "RUN", run)
        shown = lambda e: "105" in (e.get("number"), e.get("id"))  # noqa: E731
        for keep, hint, lazy in (
            (None, None, False),
            (None, None, True),
            (unassigned, None, False),
            (shown, '"105"', False),  # extension show: the runs without the text not asked
        ):
            try:
                doc = decoder.load(path, path.read_bytes(), keep, hint, lazy=lazy)
            except AccountFileError as exc:
                assert exc.message == expected
            else:
                assert isinstance(expected, dict), expected
                kept = [e for e in expected["extensions"] if keep is None or keep(e)]
                assert doc == {**expected, "extensions": kept}
        try:
            fast = decoder._load(path, path.read_bytes(), None)
        except (decoder.Doubt, AccountFileError, ValueError, msgspec.MsgspecError):
            pass  # read again by the rule book
        else:
            assert fast == expected


@pytest.mark.parametrize("lazy", [False, True])
def test_a_file_without_an_extensions_list_reads_as_the_rule_book_reads_it(
    tmp_path: Path, lazy: bool
) -> None:
    """The list may be missing: the read has no list then, as the rule book's (found by the
    property test of tests/test_storage_properties.py, CI on Python 3.12, 2026-12-04)."""
    path = tmp_path / "acme.json"
    path.write_text(json.dumps({
        "schema_version": 2,
        "account": {"name": "Acme", "country": "US", "locale": "en-US", "default_role": "Manager"},
        "sites": [{"name": "Main Site"}],
        "roles": ["Manager"],
    }))  # fmt: skip
    expected = rule_book(path)
    assert "extensions" not in expected
    assert decoder.load(path, path.read_bytes(), lazy=lazy) == expected


@settings(max_examples=200, deadline=None)
@given(text=accounts_as_written(), run=runs)
def test_the_decoder_vouches_for_what_the_store_writes(
    tmp_path_factory: pytest.TempPathFactory, text: str, run: int
) -> None:
    """A valid account as the store writes it needs no second reading: the decoder's own
    check accepts it (the speed is that of msgspec, not of the rule book)."""
    path = tmp_path_factory.mktemp("acct") / "acme.json"
    path.write_text(text)
    expected = rule_book(path)
    if not isinstance(expected, dict):
        return
    path.write_bytes(codec.encode(path, expected))
    if "\\u" in path.read_text():  # an escape that may hide a control character: a doubt
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(decoder, "RUN", run)
        assert decoder._load(path, path.read_bytes(), None) == expected


def test_a_linked_file_s_extensions_are_read_in_place(tmp_path: Path) -> None:
    """A linked file holds its link after its extensions: the list is still decoded from the
    file's bytes as read, not from a copy of its text (at 100,000 extensions, 45 MiB)."""
    store = AccountStore(tmp_path / "acme.json")
    doc = accounts.new_document("Acme")
    doc["extensions"] = [{"number": str(n), "site": "Main Site", "status": "unassigned"}
                         for n in range(1000, 1100)]  # fmt: skip
    doc["platform"] = {"server": "https://platform.example", "client_id": "c", "account_id": "1"}
    store.create(doc)
    data = store.path.read_bytes()
    assert list(json.loads(data))[-1] == "platform"
    top, (text, start, end) = decoder._top(data)
    assert text is data and json.loads(text[start:end]) == doc["extensions"]
    # extensions that are not a list, before the link: refused in the rule book's words
    # (found by the property test of tests/test_storage_properties.py, CI, 2026-12-04)
    store.path.write_text(json.dumps({**doc, "extensions": {}, "platform": doc["platform"]}))
    with pytest.raises(AccountFileError) as refused:
        decoder.load(store.path, store.path.read_bytes())
    assert refused.value.message == f"{store.path}: extensions: expected a list, got dict"


# --- extensions read in runs, decoded when touched (domain/lazy.py) ----------------------------

steps = st.lists(
    st.tuples(
        st.sampled_from(["look", "change", "add", "remove", "renumber", "list", "emails"]),
        st.integers(0, 34),
    ),
    max_size=8,
)


def _apply(account: Account, todo: list[tuple[str, int]]) -> list[Any]:
    """The steps on an account, as services make them (Account's methods, the tables it gives);
    returns what each look saw."""
    seen: list[Any] = []
    for step, k in todo:
        numbers = sorted(account.by_number)
        number = numbers[k % len(numbers)] if numbers and k < 30 else str(100 + k)
        ext = account.find(number)
        if step == "look":
            seen.append(ext)
        elif step == "change" and ext is not None:
            if "user" in ext:
                ext["user"]["last_name"] = "Changed"
            else:
                ext["device"] = {"model": "Cisco 8841"}
            account.record("change", number)
        elif step == "add" and account.find(str(900 + k)) is None:
            account.add_extension({"number": str(900 + k), "site": "Main Site",
                                   "status": "unassigned"})  # fmt: skip
        elif step == "remove" and ext is not None:
            account.remove_extension(number)
        elif step == "renumber" and ext is not None and account.find(str(800 + k)) is None:
            account.renumber(ext, str(800 + k))
        elif step == "list":
            seen.append([e.get("number") for e in account.extensions])
        elif step == "emails":
            seen.append(sorted(account.user_emails()))
    return seen


def _department(doc: Any, exts: list[dict[str, Any]]) -> bool:
    """A change to every user of a run (as set-recording --all's): whether it changed any."""
    users = [e["user"] for e in exts if "user" in e and e["number"] < "110"]
    for user in users:
        user["department"] = "Changed"
    return bool(users)


@settings(max_examples=300, deadline=None)
@given(
    text=accounts_as_written(edited=False) | accounts_as_written(),
    run=runs,
    todo=steps,
    change=st.sampled_from([None, _department, lambda doc, exts: False]),
)
def test_extensions_read_in_runs_behave_and_save_as_the_whole_list(
    tmp_path_factory: pytest.TempPathFactory,
    text: str,
    run: int,
    todo: list[tuple[str, int]],
    change: decoder.Change | None,
) -> None:
    """Whatever a command looks up, changes, adds, removes or renumbers, in any order, on an
    account read in runs of any length: it sees what it would see in the whole list, and the
    save holds what the whole list's save holds; byte for byte when the file was as the store
    writes it (an untouched run is written as the file held it: a hand edit's layout stays).
    Also after a change to every extension made as the file is read (`change`: its runs then
    spooled as changed, with no index of numbers and addresses until one is needed)."""
    path = tmp_path_factory.mktemp("acct") / "acme.json"
    path.write_text(text)
    if not isinstance(rule_book(path), dict):
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(decoder, "RUN", run)
        lazy = Account(decoder.load(path, path.read_bytes(), lazy=True, change=change))
    whole = Account(rule_book(path))
    if change is not None:
        change(whole.doc, whole.extensions)
    assert _apply(lazy, todo) == _apply(whole, todo)
    written, expected = codec.encode(path, lazy.doc), codec.encode(path, whole.doc)
    assert json.loads(written) == json.loads(expected)
    if codec.encode(path, rule_book(path)) == text.encode():
        assert written == expected
    assert sorted(lazy.by_number) == sorted(whole.by_number)
    assert len(lazy.extensions) == len(whole.extensions)


def test_an_assignment_in_a_large_account_decodes_one_run_of_it(
    run, account: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`assign` in an account of 2,000 extensions read in runs of 1 KiB (about 15 extensions):
    the email check reads the index, the look-up one run, and the save writes every other run
    as the file held it."""
    path = account.with_suffix(".json")
    assert run("account", "convert", account, path).code == 0
    assert run("--account", path, "extension", "add", "3000-4999").code == 0
    before = path.read_bytes()
    monkeypatch.setattr(decoder, "RUN", 1 << 10)
    decoded: set[int] = set()
    tables = lazy.Extensions._tables

    def counted(self: lazy.Extensions, one: lazy.Run) -> list[dict[str, Any]]:
        decoded.add(id(one))
        return tables(self, one)

    monkeypatch.setattr(lazy.Extensions, "_tables", counted)
    result = run("--account", path, "assign", "4321", "--setup", "later", "--first-name", "Ada",
                 "--last-name", "Byron", "--email", "ada@example.com", "--no-input")  # fmt: skip
    assert result.code == 0, result.err
    assert len(decoded) == 1
    after = path.read_bytes()
    line = next(x for x in after.splitlines() if b'"number": "4321"' in x)
    assert b'"first_name": "Ada"' in line
    assert after.replace(line, b"") == before.replace(
        next(x for x in before.splitlines() if b'"number": "4321"' in x), b""
    )


# --- listings made a run at a time (services.extensions.listing) -------------------------------


def printed(write: Any) -> bytes:
    """What `write()` prints on standard output, as into a pipe: its bytes."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="\n")
    with contextlib.redirect_stdout(out):
        write()
    out.flush()
    return out.buffer.getvalue()  # type: ignore[attr-defined, no-any-return]


USER_ROWS = {"Manager": partial(views.user_rows, role=" manager"), "any": views.user_rows}
EXPORT_COLUMNS = [render.Column(c, c) for c in bulk.COLUMNS]
LISTINGS = {  # each listing: its columns, its rows, `listing`'s options, select's
    "extension list": (EXTENSION_COLUMNS, views.extension_rows, {}, {}),
    "enabled": (EXTENSION_COLUMNS, views.extension_rows, {"status": "enabled"},
                {"status": "enabled"}),
    "list-unassigned": (UNASSIGNED_COLUMNS, views.unassigned_rows, {"free": True},
                        {"status": "unassigned"}),
    "with a desk phone": (UNASSIGNED_COLUMNS, views.unassigned_rows,
                          {"free": True, "device": True}, {"status": "unassigned", "device": True}),
    "users list --role": (USER_COLUMNS, USER_ROWS["Manager"], {}, {}),
    "users list --status": (USER_COLUMNS, USER_ROWS["any"], {"status": "not-activated"},
                            {"status": "not-activated"}),
    "export": (EXPORT_COLUMNS, bulk.export_rows, {}, {}),
    "recording list": (RECORDING_COLUMNS, views.recording_rows, {}, {}),
    "engage-voice list": (ENGAGE_COLUMNS, views.engage_rows, {}, {}),
}  # fmt: skip


RECORDED_OR_ENGAGED = ("recording list", "engage-voice list")  # users the generator has none of


def recorded_and_engaged(doc: dict[str, Any]) -> None:
    """Every other user's calls recorded, every third with Engage Voice access."""
    for i, ext in enumerate(doc["extensions"]):
        user = ext.get("user")
        if user and i % 2:
            user["recording"] = "both"
        if user and i % 3 == 0:
            user["engage_voice"] = {"access": "agent", "first_name": user["first_name"],
                                    "last_name": "Byron", "email": user["email"],
                                    "imported_at": "2026-12-04T18:00:00+00:00"}  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    text=accounts_as_written(edited=False) | accounts_as_written(),
    run=runs,
    order=st.sampled_from(["as written", "reversed", "two swapped"]),
    which=st.sampled_from(sorted(LISTINGS)),
    site=st.sampled_from([None, "Main Site", " main SITE", "Nowhere"]),
    fmt=st.sampled_from(["json", "csv", "table"]),
)
def test_a_listing_made_a_run_at_a_time_prints_what_the_whole_list_prints(
    tmp_path_factory: pytest.TempPathFactory,
    text: str,
    run: int,
    order: str,
    which: str,
    site: str | None,
    fmt: str,
) -> None:
    """`extension list`, `list-unassigned`, `users list`, `export`, `recording list` and
    `engage-voice list` read the file a run at a time and keep each run's rows as the text
    they print: whatever the run's length, the
    filters and the file's order (out of number order, the selection is read again and
    sorted), they print byte for byte what the rows of the whole list, selected and sorted,
    print; a file the rule book refuses, or a site that does not exist, is refused in the same
    words, with nothing printed."""
    path = tmp_path_factory.mktemp("acct") / "acme.json"
    path.write_text(text)
    expected = rule_book(path)
    if isinstance(expected, dict) and (order != "as written" or which in RECORDED_OR_ENGAGED):
        exts = expected["extensions"]
        if order == "reversed":
            exts.reverse()
        elif order == "two swapped" and len(exts) > 2:
            exts[0], exts[-1] = exts[-1], exts[0]
        recorded_and_engaged(expected)
        path.write_bytes(codec.encode(path, expected))
    columns, rows, options, selected = LISTINGS[which]
    if which in ("export", "engage-voice list"):
        site = None  # they list every user
    part = render.listing_part(fmt, columns)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(decoder, "RUN", run)
        try:
            listed = extensions.listing(AccountStore(path), rows, part, site=site, **options)
        except (AccountFileError, NotFound) as exc:
            refusal = exc.message
        else:
            refusal = None
            shown = printed(lambda: render.emit_listing(listed.parts, fmt, columns))
    if not isinstance(expected, dict):
        assert refusal == expected
        return
    whole = Account(expected)
    try:
        expected_rows = rows(whole, extensions.select(whole, site=site, **selected))
    except NotFound as exc:
        assert refusal == exc.message
        return
    assert refusal is None
    assert shown == printed(lambda: render.emit(expected_rows, fmt, columns))
    if fmt == "json":
        assert [r["extension"] for r in json.loads(shown)] == [
            r["extension"] for r in expected_rows
        ]


def test_a_listing_holds_a_run_of_rows_at_a_time(
    run, account: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`extension list` on 2,000 extensions read in runs of 1 KiB: rows are made for one run's
    extensions at a time (about 15), never for the whole list, and print as the whole list."""
    path = account.with_suffix(".json")
    assert run("account", "convert", account, path).code == 0
    assert run("--account", path, "extension", "add", "3000-4999").code == 0
    whole = run("--account", path, "extension", "list", "--format", "json")
    assert whole.code == 0, whole.err
    monkeypatch.setattr(decoder, "RUN", 1 << 10)
    made: list[int] = []
    rows_of = views.extension_rows

    def counted(account: Account, exts: list[Any], **kw: Any) -> list[dict[str, Any]]:
        made.append(len(exts))
        return rows_of(account, exts, **kw)

    monkeypatch.setattr(views, "extension_rows", counted)
    result = run("--account", path, "extension", "list", "--format", "json")
    assert result.code == 0, result.err
    assert result.out == whole.out and len(json.loads(result.out)) == 2008
    assert sum(made) == 2008 and max(made) < 30, made


def test_a_listing_prints_nothing_when_a_later_run_breaks_a_rule(
    run, account: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows are printed once the whole file has passed the check: an extension near the end
    whose number is taken twice refuses the listing with no row printed."""
    path = account.with_suffix(".json")
    assert run("account", "convert", account, path).code == 0
    assert run("--account", path, "extension", "add", "3000-4999").code == 0
    text = path.read_text()
    path.write_text(text.replace('"number": "4998"', '"number": "3000"'))
    monkeypatch.setattr(decoder, "RUN", 1 << 10)
    for args in (["extension", "list"], ["list-unassigned"]):
        result = run("--account", path, *args, "--format", "json")
        assert result.code == 6, result.err
        assert result.out == "" and "3000" in result.err


# --- a change to every extension made a run at a time (set-recording --all, --site) -----------


@settings(max_examples=200, deadline=None)
@given(
    text=accounts_as_written(edited=False) | accounts_as_written(),
    run=runs,
    site=st.sampled_from([None, "Main Site", " main SITE", "Nowhere"]),
    direction=st.sampled_from(["off", "both"]),
)
def test_set_recording_made_a_run_at_a_time_saves_what_the_whole_list_saves(
    tmp_path_factory: pytest.TempPathFactory,
    text: str,
    run: int,
    site: str | None,
    direction: str,
) -> None:
    """`set-recording --all` (or --site) changes each run of the file as it is read and holds
    its new text: whatever the run's length and the file's layout, the file saved and its audit
    entries are those of the whole list changed (byte for byte when the file was as the store
    writes it); a file the rule book refuses, or a site that does not exist, is refused in the
    same words, the file as it was."""
    path = tmp_path_factory.mktemp("acct") / "acme.json"
    path.write_text(text)
    expected = rule_book(path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(decoder, "RUN", run)
        try:
            counts = lifecycle.set_recording(AccountStore(path), [], site, site is None, direction)
        except (AccountFileError, NotFound) as exc:
            refusal = exc.message
        else:
            refusal = None
    if not isinstance(expected, dict):
        assert refusal == expected and path.read_text() == text
        return
    whole = Account(expected)
    try:
        exts = [e for e in extensions.select(whole, site=site) if e["status"] != "unassigned"]
    except NotFound as exc:
        assert refusal == exc.message and path.read_text() == text
        return
    assert refusal is None
    changed = [(e["number"], e["user"]["recording"]) for e in exts]
    changed = [(n, was) for n, was in changed if was != direction]
    for ext in exts:
        ext["user"]["recording"] = direction
    assert counts == (len(exts), len(changed))
    saved = path.read_bytes()
    assert json.loads(saved) == json.loads(codec.encode(path, whole.doc))
    if changed and codec.encode(path, rule_book_of(text)) == text.encode():
        assert saved == codec.encode(path, whole.doc)
    entries = audit(path, "set-recording") if audit_path(path).exists() else []
    assert [(e["extension"], e["changes"]["previous"]) for e in entries] == changed
    assert all(e["changes"]["recording"] == direction for e in entries)


def rule_book_of(text: str) -> Any:
    return schema.check_document(Path("account.json"), json.loads(text))


def test_set_recording_of_every_user_changes_the_file_a_run_at_a_time(
    run, account: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`set-recording --all` on 2,000 extensions read in runs of 1 KiB (about 15), two of them
    assigned: each run is changed as it is checked, the two runs that hold a user are encoded
    again and the others kept as the file's text, no run is decoded twice, and the file saved
    is the one the whole list's change would save."""
    path = account.with_suffix(".json")
    assert run("account", "convert", account, path).code == 0
    assert run("--account", path, "extension", "add", "3000-4999").code == 0
    for number in ("3100", "4900"):
        result = run("--account", path, "assign", number, "--setup", "later", "--first-name",
                     "Ada", "--last-name", "Byron", "--email", f"ada{number}@example.com",
                     "--no-input")  # fmt: skip
        assert result.code == 0, result.err
    whole = Account(rule_book(path))
    for ext in whole.extensions:
        if "user" in ext:
            ext["user"]["recording"] = "both"
    monkeypatch.setattr(decoder, "RUN", 1 << 10)
    encoded: list[list[str]] = []
    decoded: list[int] = []
    items_text, tables = codec.items_text, lazy.Extensions._tables

    def encoding(items: list[Any]) -> bytes:
        encoded.append([e["number"] for e in items])
        return items_text(items)

    def decoding(self: lazy.Extensions, one: lazy.Run) -> list[dict[str, Any]]:
        decoded.append(id(one))
        return tables(self, one)

    spools: list[files.Spool] = []
    spool = files.Spool

    def spooling(folder: Path) -> files.Spool:
        spools.append(spool(folder))
        assert folder == path.parent
        return spools[-1]

    monkeypatch.setattr(codec, "items_text", encoding)
    monkeypatch.setattr(lazy.Extensions, "_tables", decoding)
    monkeypatch.setattr(files, "Spool", spooling)
    beside = sorted(p.name for p in path.parent.iterdir())
    result = run("--account", path, "set-recording", "--all", "--direction", "both")
    assert result.code == 0, result.err
    assert len(encoded) == 2 and all(len(numbers) < 30 for numbers in encoded), encoded
    assert "3100" in encoded[0] and "4900" in encoded[1] and decoded == []
    assert path.read_bytes() == codec.encode(path, whole.doc)
    # the new text was held in a file beside the account's, which leaves nothing behind
    assert len(spools) == 1 and len(spools[0]) > path.stat().st_size * 0.9
    assert sorted(p.name for p in path.parent.iterdir()) == beside


@pytest.mark.parametrize("where", ["beside the file", "a folder that cannot hold it"])
def test_a_spool_gives_back_what_was_written(tmp_path: Path, where: str) -> None:
    folder = tmp_path if where == "beside the file" else tmp_path / "missing"
    spool = files.Spool(folder)
    spool += b"[1, 2]"
    spool += b", [3]"
    assert len(spool) == 11 and spool[0:11] == b"[1, 2], [3]" and spool[1:5] == b"1, 2"
    spool += b"!"
    assert spool[8:12] == b"[3]!" and spool[10:99] == b"]!" and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("sites", [None, "Main Site", [{"code": "7"}]])
def test_a_listing_refuses_a_file_whose_other_tables_break_a_rule_in_their_words(
    run, tmp_path: Path, sites: Any
) -> None:
    """The rows of a run are made before the tables beside the extensions are checked (with
    the runs', at the end): tables the rows cannot be made from are the rule book's to refuse,
    in its words (found by tests/test_input_files_fuzzed.py: an internal error)."""
    path = tmp_path / "acme.json"
    ext = {"number": "101", "site": "Main Site", "status": "unassigned"}
    doc = {"schema_version": 2, "account": {"name": "Acme", "country": "US", "locale": "en-US",
           "default_role": "Manager"}, "sites": sites, "roles": ["Manager"],
           "extensions": [ext]}  # fmt: skip
    path.write_text(json.dumps(doc))
    expected = rule_book(path)
    assert isinstance(expected, str) and "sites" in expected
    for args in (["extension", "list"], ["list-unassigned", "--site", "Main Site"]):
        result = run("--account", path, *args)
        assert result.code == 6 and result.out == ""
        assert result.err == f"extadmin: error: {expected}\n"


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_a_filtered_read_is_the_whole_read_less_the_others(run, account: Path, suffix: str) -> None:
    path = account.with_suffix(suffix)
    if suffix == ".json":
        assert run("account", "convert", account, path).code == 0
    result = run("--account", path, "assign", "102", "--setup", "later", "--first-name", "Ada",
                 "--last-name", "Byron", "--email", "ada@example.com", "--no-input")  # fmt: skip
    assert result.code == 0, result.err
    whole = AccountStore(path).read()
    view = AccountStore(path).read(keep=lambda e: e["status"] == "unassigned")
    assert [e["number"] for e in view.extensions] == [
        e["number"] for e in whole.extensions if e["status"] == "unassigned"
    ]
    assert "102" not in view.by_number and "101" in view.by_number
    assert {k: v for k, v in view.doc.items() if k != "extensions"} == {
        k: v for k, v in whole.doc.items() if k != "extensions"
    }


def test_show_finds_an_extension_whose_number_the_file_escapes(
    run, account: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hand edit may escape the digits of a number (valid JSON, the same value): the
    extension is found all the same, the first time and the next (runs of one extension: the
    file is small)."""
    monkeypatch.setattr(decoder, "RUN", 1)
    path = account.with_suffix(".json")
    assert run("account", "convert", account, path).code == 0
    path.write_text(path.read_text().replace('"number": "103"', '"number": "\\u0031\\u00303"'))
    assert '"103"' not in path.read_text()
    for read in ("extension", "role"):  # content not checked yet, then known
        result = run("--account", path, "extension", "show", "103", "--format", "json")
        assert run("--account", path, read, "list").code == 0
        assert result.code == 0, result.err
        assert json.loads(result.out)["extension"] == "103"
    result = run("--account", path, "extension", "show", "109")
    assert result.code == 4 and "109" in result.err


SPOILS = {
    "extensions null": lambda d: d.update(extensions=None),
    "extensions a table": lambda d: d.update(extensions={"number": "101"}),
    "an unknown site": lambda d: d["extensions"][3].update(site="Nowhere"),
    "a duplicate number": lambda d: d["extensions"][4].update(number="101"),
    "a bad status": lambda d: d["extensions"][2].update(status="gone"),
    "no sites": lambda d: d.update(sites=[]),
    "a future schema": lambda d: d.update(schema_version=99),
}


@pytest.mark.parametrize("spoil", SPOILS.values(), ids=SPOILS.keys())
@pytest.mark.parametrize("extensions_first", [False, True], ids=["as written", "keys reordered"])
def test_a_filtered_read_refuses_what_the_whole_read_refuses(
    run, account: Path, spoil: Any, extensions_first: bool
) -> None:
    path = account.with_suffix(".json")
    assert run("account", "convert", account, path).code == 0
    doc = json.loads(path.read_text())
    spoil(doc)
    if extensions_first:
        doc = {"extensions": doc.pop("extensions"), **doc}
    path.write_text(json.dumps(doc, indent=1))
    with pytest.raises(AccountFileError) as whole:
        schema.check_document(path, json.loads(path.read_text()))
    with pytest.raises(AccountFileError) as kept:
        AccountStore(path).read(keep=lambda e: e["status"] == "unassigned")
    assert kept.value.message == whole.value.message


# --- the record of contents already checked ------------------------------------------------


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The paths the schema checker has run on, in order."""
    calls: list[Path] = []
    real = schema.check_document

    def spy(path: Path, doc: Any, items: Any = None) -> Any:
        calls.append(path)
        return real(path, doc, items)

    monkeypatch.setattr(schema, "check_document", spy)
    return calls


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_content_is_checked_once_until_it_changes(
    run, account: Path, checks: list[Path], suffix: str
) -> None:
    path = account.with_suffix(suffix)
    if suffix == ".json":
        run("account", "convert", account, path)
        path.write_text(path.read_text() + " ")  # content no command has written
    else:
        path.write_text(path.read_text() + "\n")
    checks.clear()
    store = AccountStore(path)
    store.read()
    assert len(checks) == 1
    store.read()
    store.read(keep=lambda e: False)
    assert len(checks) == 1  # the same content again: not checked again
    with store.transaction("extension add") as account_:
        account_.add_extension({"number": "150", "site": "Main Site", "status": "unassigned"})
        account_.record("extension add", "150")
    store.read()
    assert len(checks) == 1  # what the store wrote itself is known
    assert "150" in store.read().by_number
    path.write_text(path.read_text().replace("150", "151"))  # a hand edit: checked
    assert "151" in store.read().by_number
    assert len(checks) == 2


def test_a_filtered_read_that_checks_every_extension_makes_the_content_known(
    run, account: Path, checks: list[Path]
) -> None:
    """`list-unassigned` twice: the first checks the file (each extension as it is decoded, the
    rest once it is decoded: the whole check, test_a_filtered_read_refuses_what_the_whole_read_
    refuses), the second finds it known; a hand edit is checked again."""
    path = account.with_suffix(".json")
    assert run("account", "convert", account, path).code == 0
    path.write_text(path.read_text() + " ")  # content no command has written
    checks.clear()
    for _ in range(2):
        assert run("--account", path, "list-unassigned").code == 0
    assert len(checks) == 1
    path.write_text(path.read_text() + " ")
    assert run("--account", path, "list-unassigned").code == 0
    assert len(checks) == 2


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_a_hand_edit_after_a_checked_read_is_refused(run, account: Path, suffix: str) -> None:
    """The file was read (and its content recorded as checked), then edited by hand to the
    same size: every command checks it again and refuses it."""
    path = account.with_suffix(suffix)
    if suffix == ".json":
        run("account", "convert", account, path)
    assert run("--account", path, "extension", "list").code == 0
    text = path.read_text()
    path.write_text(text.replace('"unassigned"', '"unassignex"', 1))
    assert path.stat().st_size == len(text.encode())
    for command in (["list-unassigned"], ["extension", "show", "101"], ["extension", "list"]):
        result = run("--account", path, *command)
        assert result.code == 6, (command, result.err)
        assert "'unassignex' is not one of" in result.err


def test_records_belong_to_one_version_of_the_checker(
    account: Path, checks: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    AccountStore(account).read()
    checks.clear()
    AccountStore(account).read()
    assert checks == []
    monkeypatch.setattr(checked, "_tag", lambda json: "another-version")
    AccountStore(account).read()
    assert len(checks) == 1


def test_the_record_is_private_and_an_unwritable_cache_only_costs_the_check(
    run, account: Path, tmp_path: Path, checks: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    AccountStore(account).read()
    folder = tmp_path / "xdg-cache" / "extadmin" / "checked"
    assert folder.stat().st_mode & 0o777 == 0o700
    (record,) = folder.iterdir()
    assert checked.digest(account.read_bytes()) in record.read_text()

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    checks.clear()
    for _ in range(2):
        result = run("--account", account, "list-unassigned", "--format", "json")
        assert result.code == 0, result.err
        assert len(json.loads(result.out)) == 8
    assert len(checks) == 2  # checked each time, nothing else lost
    assert blocked.read_text() == ""


# --- the one-call encoder of lists ---------------------------------------------------------


tables = st.dictionaries(st.text(max_size=6), values, min_size=1, max_size=4)


def holds_a_float(value: Any) -> bool:
    if isinstance(value, dict):
        return any(map(holds_a_float, value.values()))
    if isinstance(value, list):
        return any(map(holds_a_float, value))
    return isinstance(value, float)


@settings(max_examples=300, deadline=None)
@given(
    items=st.lists(values, max_size=8) | st.lists(tables, min_size=2, max_size=8),
    ensure_ascii=st.booleans(),
)
def test_json_items_are_each_item_as_json_dumps_writes_it(
    items: list[Any], ensure_ascii: bool
) -> None:
    """Each item as json.dumps writes it, one a line (msgspec's encoder; with ensure_ascii, the
    audit log's, the standard library's); a float as the same number (msgspec's shortest form:
    `1e16`, not `1e+16`)."""
    text = codec.json_items(items, "\n", ensure_ascii=ensure_ascii)
    if ensure_ascii or not any(map(holds_a_float, items)):
        assert text == "\n".join(json.dumps(x, ensure_ascii=ensure_ascii) for x in items)
    assert [json.loads(line) for line in text.split("\n")] == items if items else text == ""
    assert json.loads(codec.json_list(items, ",\n")) == items


@settings(max_examples=200, deadline=None)
@given(
    numbers=st.lists(
        st.integers(1, 999_999).map(str) | st.none(), unique_by=lambda n: n or object()
    )
)
def test_number_order_without_a_call_per_extension(numbers: list[str | None]) -> None:
    """Listings sort by number with C-level keys: the order of number_order, extensions
    pulled without a number (by id) last."""
    exts: list[Any] = [
        {"number": n} if n else {"id": str(62_000_000_000 + i)} for i, n in enumerate(numbers)
    ]
    ordered = sorted(exts, key=number_order)
    assert in_number_order(exts) == ordered
    assert in_number_order(ordered) == ordered  # in order already: no sort
    assert in_number_order(ordered[::-1]) == ordered


@settings(max_examples=200, deadline=None)
@given(
    entries=st.lists(
        st.dictionaries(
            st.text(max_size=6).filter(lambda k: k not in ("time", "user", "command")),
            values,
            max_size=4,
        ).map(lambda changes: {"action": "assign", "extension": "101", **changes}),
        min_size=1,
        max_size=6,
    ),
    command=st.text(max_size=12),
)
@example(entries=[{"action": "assign", "extension": "101", "\x7f": "a\x7fb"}], command="")
def test_audit_lines_are_each_entry_encoded_on_its_own(
    entries: list[dict[str, Any]], command: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The time, user and command are encoded once and put before each line: each line is
    the entry as json.dumps writes it, whatever its values (newlines, braces, quotes)."""
    store = AccountStore(tmp_path_factory.mktemp("audit") / "acme.json")
    account = Account({"sites": [], "extensions": []})  # type: ignore[typeddict-item]
    account.audit = [dict(e) for e in entries]
    lines = store._audit_lines(account, command).decode().split("\n")
    assert lines.pop() == ""
    assert len(lines) == len(entries)
    for line, entry in zip(lines, entries, strict=True):
        head = json.loads(line)
        expected = {"time": head["time"], "user": head["user"], "command": command, **entry}
        assert line == json.dumps(expected)


# --- the email index ---------------------------------------------------------------------------


def account_with(emails: list[str], name: str) -> Account:
    return Account(
        {
            "schema_version": 1,
            "account": {"name": name, "country": "US", "locale": "en-US", "default_role": "x"},
            "sites": [{"name": "Main Site"}],
            "roles": ["x"],
            "extensions": [
                {"number": str(100 + i), "site": "Main Site", "status": "unassigned"}
                if email is None
                else {
                    "number": str(100 + i),
                    "site": "Main Site",
                    "status": "enabled",
                    "user": {"email": email},  # type: ignore[typeddict-item]
                }
                for i, email in enumerate(emails)
            ],
        }
    )


@settings(max_examples=100, deadline=None)
@given(
    first=st.lists(st.sampled_from([None, "a@x.com", "A@X.COM", "b@x.com", "ß@x.com"]), max_size=6),
    second=st.lists(st.sampled_from([None, "a@x.com", "SS@x.com", "c@x.com"]), max_size=6),
    asked=st.lists(
        st.sampled_from(["a@x.com", "b@X.com", "ss@x.com", "c@x.com", "d@x.com"]), min_size=2
    ),
)
def test_the_email_index_answers_alike_before_and_after_it_builds_its_dict(
    first: list[str], second: list[str], asked: list[str]
) -> None:
    index = EmailIndex()
    accounts = [
        (account_with(first, "one"), Path("/one.json")),
        (account_with(second, "two"), Path("/two.json")),
    ]
    for account, path in accounts:
        index.add_account(account, path)
    for email in asked * 3:  # past EmailIndex.SCANS look-ups
        expected = [
            (account.name, str(path), ext["number"])
            for account, path in accounts
            for ext in account.extensions
            if "user" in ext and ext["user"]["email"].casefold() == email.casefold()
        ]
        got = [(m.account, m.path, m.extension) for m in index.matches(email)]
        assert got == expected
    assert index._by_key is not None  # both ways were asked
