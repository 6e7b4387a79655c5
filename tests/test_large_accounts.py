"""What makes large accounts cheap, proven correct on any input: the JSON reader that drops
extensions as it parses them (list-unassigned, extension show), the record of contents already
checked (a hand edit is always checked again), the one-call encoder of lists, and the email
index that scans for one look-up and builds a dict for many."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extadmin.domain.account import Account, in_number_order, number_order
from extadmin.errors import AccountFileError
from extadmin.services.directory import EmailIndex
from extadmin.storage import checked, codec, schema
from extadmin.storage.store import AccountStore

# --- the reader that drops extensions as it parses them -------------------------------------

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
documents = st.builds(
    lambda head, items, tail: {**head, "extensions": items, **tail},
    st.dictionaries(st.text(max_size=6).filter(lambda k: k != "extensions"), values, max_size=3),
    # tables (an account's extensions, some holding lists of tables) or any values
    st.lists(st.dictionaries(st.text(max_size=6), values, min_size=1, max_size=4), max_size=12)
    | st.lists(values, max_size=8),
    st.dictionaries(st.text(max_size=6).filter(lambda k: k != "extensions"), values, max_size=3),
)
# characters of the list parsed at once: one item a run, a few, the whole list
runs = st.sampled_from([0, 1, 7, 64, codec.RUN])
layouts = st.sampled_from(
    [
        lambda d: json.dumps(d),
        lambda d: json.dumps(d, indent=2),
        lambda d: json.dumps(d, indent="\t", ensure_ascii=False),
        lambda d: json.dumps(d, separators=(",", ":")),
        lambda d: " \r\n" + json.dumps(d, indent=0) + "\n\n",
        lambda d: codec.encode(Path("account.json"), d).decode(),  # the store's own layout
    ]
)


@settings(max_examples=400, deadline=None)
@given(doc=documents, layout=layouts, keep=st.sets(st.integers(0, 12)), run=runs)
def test_items_parsed_a_run_at_a_time_are_what_json_loads_gives(
    doc: dict[str, Any], layout: Any, keep: set[int], run: int
) -> None:
    """Any JSON object with a list under the key, in any layout, whatever the length of a
    run: every item is checked, in order, and the result is json.loads's less the items not
    kept."""
    text = layout(doc)
    seen: list[tuple[int, Any]] = []
    order = iter(range(10**6))

    result = codec.parse_json_items(
        text,
        "extensions",
        keep=lambda item: next(order) in keep,
        check=lambda i, item: seen.append((i, item)),
        run=run,
    )
    expected = json.loads(text)
    assert seen == list(enumerate(expected["extensions"]))
    assert result == {
        **expected,
        "extensions": [x for i, x in enumerate(expected["extensions"]) if i in keep],
    }


names = st.text(st.sampled_from('ab "[]{},:\\\n1'), max_size=8)


@settings(max_examples=400, deadline=None)
@given(
    names=st.lists(names, min_size=0, max_size=40),
    target=st.integers(0, 45),
    run=runs,
    head=st.booleans(),
)
def test_a_hint_skips_only_runs_without_a_kept_item(
    names: list[str], target: int, run: int, head: bool
) -> None:
    """An account in the store's layout (the extensions before or after other lists of
    tables; names holding brackets, braces, quotes and other numbers): parsed with the
    quoted number as hint, the one extension of that number is found, as json.loads finds
    it."""
    extensions = [{"number": str(n), "name": name} for n, name in enumerate(names)]
    tables = [{"name": f"{n}", "id": "[x]"} for n in range(3)]
    doc: dict[str, Any] = {"extensions": extensions, "sites": tables}
    if head:
        doc = {"sites": tables, "extensions": extensions, "roles": tables}
    text = codec.encode(Path("account.json"), doc).decode()

    def keep(item: Any) -> bool:
        return item["number"] == str(target)

    result = codec.parse_json_items(text, "extensions", keep, hint=f'"{target}"', run=run)
    expected = json.loads(text)
    assert result == {**expected, "extensions": [e for e in extensions if keep(e)]}


statuses = st.sampled_from(["unassigned", "enabled", "not-activated"])
tricky = st.sampled_from(
    ['"status": "unassigned"', "\\", '"', "}, {", '"status"', "x", "Zoë", "[1]"]
)


@st.composite
def extensions_as_written(draw: st.DrawFn) -> tuple[str, list[dict[str, Any]]]:
    """Extensions in the store's layout, each line possibly edited by hand afterwards (a
    status written another way, escaped, or given twice: json.loads keeps the last)."""
    exts = []
    for n in range(draw(st.integers(0, 30))):
        ext: dict[str, Any] = {"number": str(100 + n), "status": draw(statuses)}
        if draw(st.booleans()):
            ext["user"] = {"first_name": draw(tricky), "job_title": draw(tricky)}
        if draw(st.booleans()):
            ext["base"] = {"status": draw(statuses)}
        exts.append(ext)
    text = codec.encode(Path("account.json"), {"sites": [{"name": "Main"}], "extensions": exts})
    lines = text.decode().split("\n")
    for i, line in enumerate(lines):
        if line.startswith('    {"number"') and draw(st.integers(0, 4)) == 0:
            how = draw(st.sampled_from(["spacing", "escaped", "twice", "key escaped", "nested"]))
            value = draw(statuses)
            if how == "spacing":
                line = line.replace('"status": ', '"status":', 1)
            elif how == "escaped":
                line = line.replace('"status": "u', '"status": "\\u0075', 1)
            elif how == "twice":
                line = line.replace('{"number"', f'{{"status": "{value}", "number"', 1)
                line = line.replace('"number"', f'"status": "{value}", "number"', 1)
            elif how == "key escaped":
                line = line.replace('"status"', '"st\\u0061tus"', 1)
            else:  # a list of tables inside, one a line: the separator within an item
                nested = f'"x": [{{"status": "{value}"}},\n    {{"status": "unassigned"}}], '
                line = line.replace('"number"', nested + '"number"', 1)
            lines[i] = line
    edited = "\n".join(lines)
    return edited, json.loads(edited)["extensions"]


@settings(max_examples=400, deadline=None)
@given(written=extensions_as_written(), run=runs)
def test_items_where_a_key_has_a_value_are_what_json_loads_gives(
    written: tuple[str, list[dict[str, Any]]], run: int
) -> None:
    """Items plainly written with another status are not parsed; whatever the file holds
    (a status spaced, escaped or given twice by hand; quotes, backslashes and the wanted text
    itself in names), the extensions kept are json.loads's."""
    text, exts = written

    def keep(ext: Any) -> bool:
        return ext.get("status") == "unassigned"

    result = codec.parse_json_items(
        text, "extensions", keep, where=("status", "unassigned"), run=run
    )
    assert result is not None
    assert result["extensions"] == [e for e in exts if keep(e)]


def spoilt(text: str, data: st.DataObject) -> str:
    """A cut, an inserted character, a doubled or a removed part of a JSON text."""
    at = data.draw(st.integers(0, len(text)))
    to = data.draw(st.integers(at, min(len(text), at + 12)))
    how = data.draw(st.sampled_from(["cut", "insert", "double", "remove"]))
    if how == "cut":
        return text[:at]
    if how == "insert":
        return text[:at] + data.draw(st.sampled_from(list('{}[],:" \n\\0aeE-.'))) + text[at:]
    if how == "double":
        return text[:to] + text[at:]
    return text[:at] + text[to:]


@settings(max_examples=500, deadline=None)
@given(doc=documents, layout=layouts, data=st.data(), run=runs)
def test_on_spoilt_text_it_agrees_with_json_loads_or_gives_way(
    doc: dict[str, Any], layout: Any, data: st.DataObject, run: int
) -> None:
    """On any text: the same result as json.loads, or None (then the store parses the text whole,
    which names the error's line and column). It never accepts what json.loads refuses."""
    text = spoilt(layout(doc), data)
    result = codec.parse_json_items(text, "extensions", lambda item: True, run=run)
    try:
        expected = json.loads(text)
    except (ValueError, RecursionError):
        assert result is None
    else:
        assert result is None or result == expected


@pytest.mark.parametrize(
    "text",
    [
        '{"extensions": [1, 2], "extensions": [3]}',  # json.loads keeps the last
        '{"extensions": [1, 2,]}',
        '{"a": 1,}',
        '{"extensions": [1] "a": 2}',
        "[1, 2]",
        '{"extensions": [1]} {}',
        "",
    ],
)
def test_what_it_gives_way_on(text: str) -> None:
    assert codec.parse_json_items(text, "extensions", lambda item: True) is None


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
    """The hint is the number as the store writes it; a hand edit may escape its digits
    (valid JSON, the same value): the extension is found all the same, checked content or
    not (runs of one extension: the file is small)."""
    monkeypatch.setattr(codec, "RUN", 1)
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
    """`list-unassigned` twice: the first checks the file (each extension as it is parsed, the
    rest once it is parsed: the whole check, test_a_filtered_read_refuses_what_the_whole_read_
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
    monkeypatch.setattr(checked, "_tag", lambda: "another-version")
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


@settings(max_examples=300, deadline=None)
@given(
    items=st.lists(values, max_size=8) | st.lists(tables, min_size=2, max_size=8),
    ensure_ascii=st.booleans(),
)
def test_json_items_are_each_item_as_json_dumps_writes_it(
    items: list[Any], ensure_ascii: bool
) -> None:
    """One C encoder for every item, without the check for circles: each item exactly as
    json.dumps writes it, one a line."""
    text = codec.json_items(items, "\n", ensure_ascii=ensure_ascii)
    assert text == "\n".join(json.dumps(x, ensure_ascii=ensure_ascii) for x in items)
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
    assert in_number_order(exts) == sorted(exts, key=number_order)


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
