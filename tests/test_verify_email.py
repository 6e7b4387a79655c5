"""verify-email: is an address unique across every account known on this machine (SPEC 1,
"Verify email uniqueness"; SPEC 2, its JSON shape and exit codes 0 / 5 / 3).

The accounts known on this machine are those `init` created and those registered with
`account add`; `account forget` drops one. Comparison is on the normalised address, whatever
its case or spelling. A registered account file that vanished or went bad is a warning, never
a crash, and never hides the matches in the other accounts."""

from __future__ import annotations

import json
import shutil
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import assign


def verify(run, email: str, *options: str) -> tuple[int, dict[str, Any], str]:
    """verify-email --format json: exit code, the parsed document, standard error."""
    result = run(*options, "verify-email", email, "--format", "json")
    assert "Traceback" not in result.err
    return result.code, json.loads(result.out), result.err


def pairs(document: dict[str, Any]) -> list[tuple[str, str]]:
    """The matches as (account, extension), the two keys SPEC promises."""
    return sorted((m["account"], m["extension"]) for m in document["matches"])


def registered(run) -> list[tuple[str | None, str]]:
    result = run("account", "list", "--format", "json")
    assert result.code == 0, result.err
    return [(row["name"], Path(row["path"]).name) for row in json.loads(result.out)]


def one_line_error(result, code: int, *fragments: str) -> None:
    assert result.code == code, (result.code, result.out, result.err)
    assert "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert result.err.startswith("extadmin: error: "), result.err
    for fragment in fragments:
        assert fragment in result.err, result.err


@pytest.fixture
def three(run, account: Path, tmp_path: Path) -> dict[str, Path]:
    """Three registered accounts: Acme (101 Ada), Globex (301 Ada too, same address in another
    spelling) and Initech (401 Bob, current). Globex got Ada while Acme was forgotten (the
    uniqueness check would refuse it otherwise), then Acme was registered again."""
    globex, initech = tmp_path / "globex.json", tmp_path / "initech.toml"
    assign(run, "101", "Ada", "Lovelace", "ada@example.com")
    assert run("init", globex, "--name", "Globex").code == 0
    assert run("account", "forget", account).code == 0
    assert run("extension", "add", "301").code == 0
    assign(run, "301", "Ada", "King", "ADA@Example.COM")
    assert run("account", "add", account).code == 0
    assert run("init", initech, "--name", "Initech").code == 0
    assert run("extension", "add", "401").code == 0
    assign(run, "401", "Bob", "Ng", "bob@example.com")
    assert registered(run) == [
        ("Globex", "globex.json"),
        ("Acme Corp", "acme.toml"),
        ("Initech", "initech.toml"),
    ]
    return {"acme": account, "globex": globex, "initech": initech}


# --- one account ------------------------------------------------------------------------------


def test_a_unique_address_exits_0_with_the_spec_shape(run, account: Path) -> None:
    assign(run, "101", "Ada", "Lovelace", "ada@example.com")
    before = account.read_bytes()

    code, document, err = verify(run, "bob@example.com")

    assert code == 0
    assert document == {"email": "bob@example.com", "unique": True, "matches": []}
    assert err == "bob@example.com is unique across 1 known account(s)\n"
    assert account.read_bytes() == before


def test_a_taken_address_exits_5_with_the_spec_shape(run, account: Path) -> None:
    assign(run, "101", "Ada", "Lovelace", "ada@example.com")

    code, document, err = verify(run, "ada@example.com")

    assert code == 5
    assert set(document) >= {"email", "unique", "matches"}
    assert document["email"] == "ada@example.com"
    assert document["unique"] is False
    assert len(document["matches"]) == 1
    assert {k: document["matches"][0][k] for k in ("account", "extension")} == {
        "account": "Acme Corp",
        "extension": "101",
    }
    assert err == "extadmin: error: ada@example.com is already used by 1 user(s)\n"


@pytest.mark.parametrize(
    ("assigned_as", "checked_as", "normalised"),
    [
        ("ada@example.com", "Ada@Example.COM", "Ada@example.com"),
        ("Ada@Example.COM", "ada@example.com", "ada@example.com"),
        ("ada@example.com", "  ADA@EXAMPLE.COM  ", "ADA@example.com"),
        ("ada@example.com", "\tada@example.com\n", "ada@example.com"),
        ("ada@example.com", "ada@EXAMPLE.com", "ada@example.com"),
        ("ada@ex\u00e4mple.com", "ada@xn--exmple-cua.com", "ada@ex\u00e4mple.com"),
        (
            unicodedata.normalize("NFD", "jos\u00e9@example.com"),
            "Jos\u00e9@example.com",
            "Jos\u00e9@example.com",
        ),
    ],
    ids=["mixed-case", "lower-case", "spaces", "tab-newline", "domain-case", "idna", "nfd"],
)
def test_every_spelling_of_the_same_address_is_taken(
    run, account: Path, assigned_as: str, checked_as: str, normalised: str
) -> None:
    assign(run, "101", "Ada", "Lovelace", assigned_as)

    code, document, _ = verify(run, checked_as)

    assert code == 5
    assert document["email"] == normalised
    assert document["unique"] is False
    assert pairs(document) == [("Acme Corp", "101")]


def test_the_table_names_the_account_and_the_extension(run, account: Path) -> None:
    assign(run, "2201", "Ada", "Lovelace", "ada@example.com")

    result = run("verify-email", "ADA@example.com")

    assert result.code == 5
    assert "Acme Corp" in result.out and "2201" in result.out and str(account) in result.out
    assert result.err == "extadmin: error: ADA@example.com is already used by 1 user(s)\n"


def test_a_unique_address_in_table_format_prints_no_data(run, account: Path) -> None:
    result = run("verify-email", "nobody@example.com")
    assert (result.code, result.out) == (0, "")
    assert result.err == "nobody@example.com is unique across 1 known account(s)\n"


def test_unassigned_extensions_hold_no_address(run, account: Path) -> None:
    code, document, _ = verify(run, "ada@example.com")
    assert (code, document["unique"]) == (0, True)


@pytest.mark.parametrize(
    "address",
    [
        "not-an-email",
        "ada@",
        "@example.com",
        "ada@@example.com",
        "ada lovelace@example.com",
        "ada@example",
        "",
        "   ",
    ],
)
@pytest.mark.parametrize("format", ["table", "json"])
def test_an_invalid_address_exits_3(run, account: Path, address: str, format: str) -> None:
    assign(run, "101", "Ada", "Lovelace", "ada@example.com")
    before = account.read_bytes()

    result = run("verify-email", address, "--format", format)

    one_line_error(result, 3, "email:")
    assert result.out == ""
    assert account.read_bytes() == before


# --- two and three accounts -------------------------------------------------------------------


def test_an_address_in_another_account_is_taken(run, account: Path, tmp_path: Path) -> None:
    assign(run, "101", "Ada", "Lovelace", "ada@example.com")
    other = tmp_path / "globex.json"
    assert run("init", other, "--name", "Globex").code == 0  # registers it, makes it current
    assert registered(run) == [("Acme Corp", "acme.toml"), ("Globex", "globex.json")]

    code, document, _ = verify(run, "Ada@Example.com")
    assert code == 5
    assert pairs(document) == [("Acme Corp", "101")]

    code, document, err = verify(run, "bob@example.com")
    assert (code, document["matches"]) == (0, [])
    assert err == "bob@example.com is unique across 2 known account(s)\n"


def test_two_accounts_with_the_same_address_both_match(run, three: dict[str, Path]) -> None:
    for spelling in ("ada@example.com", "Ada@Example.COM", " ADA@EXAMPLE.COM "):
        code, document, _ = verify(run, spelling)
        assert code == 5
        assert document["unique"] is False
        assert pairs(document) == [("Acme Corp", "101"), ("Globex", "301")]


@pytest.mark.parametrize("current", ["acme", "globex", "initech"])
def test_every_account_is_searched_whichever_is_current(
    run, three: dict[str, Path], current: str
) -> None:
    assert run("account", "use", three[current]).code == 0

    code, document, _ = verify(run, "ada@example.com")
    assert (code, pairs(document)) == (5, [("Acme Corp", "101"), ("Globex", "301")])

    code, document, _ = verify(run, "BOB@example.com")
    assert (code, pairs(document)) == (5, [("Initech", "401")])

    code, document, err = verify(run, "carol@example.com")
    assert (code, document) == (0, {"email": "carol@example.com", "unique": True, "matches": []})
    assert err == "carol@example.com is unique across 3 known account(s)\n"


def test_a_forgotten_account_is_no_longer_searched(run, three: dict[str, Path]) -> None:
    globex_bytes = three["globex"].read_bytes()

    result = run("account", "forget", three["globex"])
    assert result.code == 0, result.err
    assert registered(run) == [("Acme Corp", "acme.toml"), ("Initech", "initech.toml")]
    assert three["globex"].read_bytes() == globex_bytes  # the file itself is not touched

    code, document, _ = verify(run, "ada@example.com")
    assert (code, pairs(document)) == (5, [("Acme Corp", "101")])

    assert run("account", "forget", three["acme"]).code == 0
    code, document, _ = verify(run, "ada@example.com")
    assert (code, document["matches"]) == (0, [])

    assert run("account", "add", three["globex"]).code == 0
    code, document, _ = verify(run, "ada@example.com")
    assert (code, pairs(document)) == (5, [("Globex", "301")])


def test_forgetting_the_current_account_still_searches_the_others(
    run, three: dict[str, Path]
) -> None:
    assert run("account", "forget", three["initech"]).code == 0

    code, document, _ = verify(run, "ada@example.com")
    assert (code, pairs(document)) == (5, [("Acme Corp", "101"), ("Globex", "301")])
    code, document, _ = verify(run, "bob@example.com")
    assert (code, document["matches"]) == (0, [])


def test_an_account_named_with_account_counts_even_unregistered(
    run, three: dict[str, Path]
) -> None:
    assert run("account", "forget", three["initech"]).code == 0

    code, document, _ = verify(run, "bob@example.com", "--account", str(three["initech"]))
    assert (code, pairs(document)) == (5, [("Initech", "401")])
    code, document, _ = verify(run, "ada@example.com", "--account", str(three["initech"]))
    assert (code, pairs(document)) == (5, [("Acme Corp", "101"), ("Globex", "301")])


def test_account_add_twice_and_account_list(run, three: dict[str, Path]) -> None:
    result = run("account", "add", three["acme"])
    assert result.code == 0
    assert "already registered" in result.err
    result = run("account", "list", "--format", "json")
    rows = json.loads(result.out)
    assert [(r["name"], r["current"], r["error"]) for r in rows] == [
        ("Globex", False, None),
        ("Acme Corp", False, None),
        ("Initech", True, None),
    ]
    csv_out = run("account", "list", "--format", "csv").out.splitlines()
    assert csv_out[0] == "name,path,current,error"
    assert len(csv_out) == 4


# --- registered files that vanished or went bad ----------------------------------------------


def _delete(path: Path) -> None:
    path.unlink()


def _garbage(path: Path) -> None:
    path.write_bytes(b"\xff\xfe\x00\x01garbage\x80\x81")


def _malformed(path: Path) -> None:
    path.write_text("this is = [not an account\n", "utf-8")


def _folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _wrong_shape(path: Path) -> None:
    path.write_text('["a list, not an account"]\n' if path.suffix == ".json" else "x = 1\n")


BREAKAGES = {
    "deleted": _delete,
    "garbage-bytes": _garbage,
    "malformed": _malformed,
    "folder": _folder,
    "wrong-shape": _wrong_shape,
}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
@pytest.mark.parametrize("broken", ["globex", "initech"], ids=["other", "current"])
def test_a_broken_registered_account_is_a_warning_not_a_crash(
    run, three: dict[str, Path], breakage: str, broken: str
) -> None:
    BREAKAGES[breakage](three[broken])
    acme_bytes = three["acme"].read_bytes()

    code, document, err = verify(run, "Ada@Example.com")

    expected = [("Acme Corp", "101"), ("Globex", "301")]
    if broken == "globex":
        expected = [("Acme Corp", "101")]
    assert code == 5
    assert pairs(document) == expected  # the other accounts' matches are still found
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith("warning: ") and three[broken].name in lines[0]
    used = f"extadmin: error: Ada@example.com is already used by {len(expected)} user(s)"
    assert lines[1] == used

    # and it does not make an address taken either
    code, document, err = verify(run, "carol@example.com")

    assert (code, document["unique"], document["matches"]) == (0, True, [])
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith("warning: ") and three[broken].name in lines[0]
    assert lines[1] == "carol@example.com is unique across 2 known account(s)"
    assert three["acme"].read_bytes() == acme_bytes


def test_a_broken_account_is_reported_by_account_list(run, three: dict[str, Path]) -> None:
    _garbage(three["globex"])
    three["acme"].unlink()

    result = run("account", "list", "--format", "json")

    assert result.code == 0, result.err
    rows = {Path(r["path"]).name: r for r in json.loads(result.out)}
    assert rows["globex.json"]["name"] is None and rows["globex.json"]["error"]
    assert rows["acme.toml"]["name"] is None and "not found" in rows["acme.toml"]["error"]
    assert rows["initech.toml"]["error"] is None


def test_an_account_named_with_account_must_be_readable(run, three: dict[str, Path]) -> None:
    _garbage(three["globex"])
    result = run("--account", three["globex"], "verify-email", "ada@example.com")
    one_line_error(result, 6, "globex.json")
    assert result.out == ""

    result = run("--account", "missing.toml", "verify-email", "ada@example.com")
    one_line_error(result, 4, "missing.toml")
    assert result.out == ""


def test_a_machine_without_accounts_has_every_address_unique(run) -> None:
    code, document, err = verify(run, "ada@example.com")
    assert (code, document) == (0, {"email": "ada@example.com", "unique": True, "matches": []})
    assert err == "ada@example.com is unique across 0 known account(s)\n"


def test_a_moved_account_is_searched_once_registered_at_its_new_place(
    run, three: dict[str, Path], tmp_path: Path
) -> None:
    moved = tmp_path / "moved" / "globex.json"
    moved.parent.mkdir()
    shutil.move(three["globex"], moved)

    code, document, err = verify(run, "ada@example.com")
    assert (code, pairs(document)) == (5, [("Acme Corp", "101")])
    assert "warning:" in err

    assert run("account", "forget", three["globex"]).code == 0
    assert run("account", "add", moved).code == 0
    code, document, err = verify(run, "ada@example.com")
    assert (code, pairs(document)) == (5, [("Acme Corp", "101"), ("Globex", "301")])
    assert "warning:" not in err


# --- the account commands' bad inputs ---------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (("account", "add", "missing.toml"), 4, "missing.toml"),
        (("account", "add", "garbage.toml"), 6, "garbage.toml"),
        (("account", "add"), 2, "Missing argument"),
        (("account", "forget", "missing.toml"), 4, "not a registered account"),
        (("account", "forget", "garbage.toml"), 4, "not a registered account"),
        (("account", "list", "--format", "xml"), 2, "--format"),
        (("verify-email",), 2, "Missing argument"),
        (("verify-email", "a@example.com", "b@example.com"), 2, "unexpected extra argument"),
        (("verify-email", "a@example.com", "--format", "csv"), 2, "--format"),
        (("verify-email", "a@example.com", "--colour"), 2, "No such option"),
    ],
)
def test_bad_inputs_change_nothing(
    run, three: dict[str, Path], tmp_path: Path, args: tuple[str, ...], code: int, fragment: str
) -> None:
    _garbage(tmp_path / "garbage.toml")
    registry = tmp_path / "xdg-data" / "extadmin" / "accounts.json"
    before = {p: p.read_bytes() for p in [registry, *three.values()]}

    result = run(*args)

    one_line_error(result, code, fragment)
    assert result.out == ""
    assert {p: p.read_bytes() for p in before} == before


def test_one_file_reached_by_several_paths_is_one_account(run, account: Path) -> None:
    """`sub/../acme.toml` and a symlink name the same file: its users are counted once, and
    registering it again through another path adds nothing."""
    assign(run, "101", "Ada", "Lovelace", "ada@acme.example")
    (account.parent / "sub").mkdir()
    link = account.parent / "link.toml"
    link.symlink_to(account)
    detour = f"{account.parent}/sub/../{account.name}"
    code, document, _ = verify(run, "ada@acme.example", "--account", detour)
    assert code == 5
    assert pairs(document) == [("Acme Corp", "101")]
    assert run("account", "add", str(link)).code == 0
    assert registered(run) == [("Acme Corp", "acme.toml")]
    code, document, _ = verify(run, "ada@acme.example", "--account", str(link))
    assert pairs(document) == [("Acme Corp", "101")]
    assert link.is_symlink()  # nothing replaced the link with a file
