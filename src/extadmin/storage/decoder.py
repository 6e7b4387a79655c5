"""The JSON account file read at the speed of its parser, every rule checked on every read.

msgspec decodes the extensions in C, a run of about 256 KiB of the file at a time, into the plain
dicts that the commands use (keys in the file's order; once checked, a run's dicts are dropped
and it is decoded again when a command touches it: domain/lazy.py), checking on the way what
storage/schema.py's specs declare: each table's fields and their types, the required ones, the
choices (decoded to one string object each: `enabled` is held once, not 100,000 times), the
length of text that the platform does not give. msgspec drops a field it does not know (or
given twice), so the dicts are counted against the text: its quotation marks must be those of
their keys and string values (Columns.run; else the text is decoded again as plain JSON, and
must give the same). The other rules run over columns of values:
domain/rules.py's forms for many values (one pattern over every extension number, each email
domain asked once...), and the control-character rule over the file's bytes at once
(`_controls`).

This module only finds valid files fast: whatever it cannot vouch for (a syntax error, a broken
rule, an escape that may hide a control character...) is read again by the standard library's
json and checked by schema.check_document, which decides, and whose message names the field
and the rule. The rest of the document (account, sites, roles, settings: small) is checked by
schema.check_document itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from functools import cache, partial
from itertools import compress, count, repeat
from operator import eq, is_not, itemgetter, ne
from pathlib import Path
from typing import Annotated, Any, Literal, Required, TypedDict

from extadmin.domain import fields, rules
from extadmin.domain.catalog import LOCALES
from extadmin.domain.fields import PULLED
from extadmin.domain.lazy import Extensions, Run, user_emails
from extadmin.domain.model import Document, Extension
from extadmin.errors import AccountFileError, InvalidValue
from extadmin.storage import codec, files, schema

RUN = 1 << 18  # bytes of the extensions list decoded at once (its objects stay in the cache)

Table = dict[str, Any]
# what a reader does with each run of extensions instead of keeping them (load's `each`)
Each = Callable[[Document, list[Extension]], Any]
# a change a reader makes to each run of extensions it keeps (load's `change`): whether it
# changed any
Change = Callable[[Document, list[Extension]], bool]


class Doubt(Exception):
    """The column checks cannot vouch for the file: the rule book checks it again."""


# --- the shape, from schema.py's specs --------------------------------------------------------

# a user field's kind whose load rule is "one of a known set" (rules.as_written over LOCALES)
_KIND_CHOICES = {"locale": tuple(sorted(LOCALES))}
# the tables inside an extension (its spec leaves the user to ExtensionChecks' own code)
_INNER = {id(schema.EXTENSION): {"user": schema.USER}}


def _inner(spec: schema.Spec) -> dict[str, schema.Spec]:
    """The tables a table holds, by field."""
    found = {key: extra for key, (kind, _, extra) in spec.items() if kind is dict and extra}
    return found | _INNER.get(id(spec), {})


def _field_type(spec: schema.Spec, key: str) -> Any:
    """The decoder's type of one field: the spec's type, its choices as a Literal, and for a
    text rule of a field the platform never gives, its length."""
    kind, required, extra = spec[key]
    inner = _inner(spec).get(key)
    if inner is not None:
        return _typed_dict(key, inner)
    if kind is bool:
        return bool
    if kind is not str:
        raise TypeError(f"no decoder type for {kind!r} ({key})")
    user_field = fields.BY_NAME.get(key) if spec is schema.USER else None
    choices = extra or (_KIND_CHOICES.get(user_field.kind) if user_field else None)
    if choices:
        return Literal[tuple(choices)]
    rule = schema.RULES.get(id(spec), {}).get(key)
    if isinstance(rule, schema.Text) and key not in PULLED:
        import msgspec

        return Annotated[str, msgspec.Meta(max_length=rule.limit)]
    return str


def _typed_dict(name: str, spec: schema.Spec) -> Any:
    return TypedDict(  # type: ignore[operator]
        f"{name.title().replace('_', '')}Table",
        {
            key: Required[_field_type(spec, key)] if required else _field_type(spec, key)
            for key, (_, required, _) in spec.items()
        },
        total=False,
    )


@cache
def _decoders() -> tuple[Any, Any]:
    """(the top level's decoder: each value's text; the extensions' decoder)."""
    import msgspec

    extension = _typed_dict("extension", schema.EXTENSION)
    return (
        msgspec.json.Decoder(dict[str, msgspec.Raw]),
        msgspec.json.Decoder(list[extension]),  # type: ignore[valid-type]
    )


# --- reading ----------------------------------------------------------------------------------


def load(
    path: Path,
    data: bytes,
    keep: Callable[[Any], bool] | None = None,
    hint: str | None = None,
    *,
    where: tuple[str, str] | None = None,
    trusted: bool = False,
    lazy: bool = False,
    each: Each | None = None,
    change: Change | None = None,
) -> Document:
    """The document of a JSON account file, checked in full unless `trusted` (content checked
    before: storage/checked.py); `lazy`: its extensions as Extensions (domain/lazy.py), each run
    decoded again when touched, for a command that touches a few (a command that touches every
    one would decode each twice); with `keep`, only the extensions it keeps, the others checked
    and dropped a run at a time (`hint`: text each kept extension holds as the store writes it,
    by which trusted content's runs without it are not decoded; `where` (key, value), instead
    of keep: the extensions whose `key` is `value`). With `each`, the extensions are not kept:
    each run's (those `keep` keeps) are given to `each` with the document (its other tables
    decoded, and checked only once every run is), and the document's "extensions" is the list
    of what it returned, a run at a time (or once, for the whole list). With `change` (and
    `lazy`), each run is changed by it as it is checked, and one it changed is held as its new
    text (a command that changes every extension holds the file's text, not its tables;
    `change` must leave the numbers and the users' addresses as they are). Raises
    AccountFileError as schema.check_document does."""
    import msgspec

    if where is not None:
        keep = Where(*where)
    try:
        if trusted:
            return _decode(path, data, keep, hint, lazy, each, change)  # type: ignore[return-value]
        sought = None if hint is None or keep is None else hint.encode("utf-8")
        return _load(path, data, keep, lazy, each, change, sought)  # type: ignore[return-value]
    except (Doubt, msgspec.MsgspecError, AccountFileError, RecursionError):
        pass  # read again by the rule book, for its verdict and its words
    doc = codec.parse(path, codec.to_text(path, data))
    checked = schema.check_document(path, doc)
    as_asked(checked, keep, each, change)
    return checked


def as_asked(
    doc: dict[str, Any] | Document,
    keep: Callable[[Any], bool] | None = None,
    each: Each | None = None,
    change: Change | None = None,
) -> None:
    """A document checked whole, its extensions made what a reader asked for (load's `keep`,
    `each` and `change`), in place."""
    if keep is None and "extensions" not in doc:
        return
    doc["extensions"] = _asked(
        doc.get("extensions", []),
        keep,
        None if change is None else partial(change, doc),  # type: ignore[arg-type]
        None if each is None else partial(each, doc),  # type: ignore[arg-type]
    )


def _asked(
    exts: list[Any],
    keep: Callable[[Any], bool] | None,
    change: Callable[[list[Table]], bool] | None,
    each: Callable[[list[Table]], Any] | None,
) -> list[Any]:
    """Extensions as a reader asked for them: those `keep` keeps (all if None), changed by
    `change`; with `each`, instead, the one-item list of what it makes of them."""
    if keep is not None:
        exts = _kept(exts, keep)
    if change is not None:
        change(exts)
    return exts if each is None else [each(exts)]


def _load(
    path: Path,
    data: bytes,
    keep: Callable[[Any], bool] | None,
    lazy: bool = False,
    each: Each | None = None,
    change: Change | None = None,
    sought: bytes | None = None,
) -> dict[str, Any]:
    """The whole check: the top level's small tables by schema.check_document, the extensions
    run by run by the decoder's types and Columns (`sought`: load's hint)."""
    import msgspec

    doc, text = _top(data)
    if _controls(data):
        raise Doubt("a control character, or an escape that may be one")
    checks = Columns()

    def check(run: bytes, exts: list[Table]) -> None:
        _check_run(checks, run, exts)

    if text is None:  # no extensions list (the check says whether it may be missing)
        schema.check_document(path, doc, checks)
        return doc
    given = None if each is None else partial(_unchecked, each, doc)
    changes = None if change is None else partial(_unchecked, change, doc)
    try:
        exts = _extensions(
            text, keep, check, lazy=lazy, each=given, change=changes, sought=sought,
            folder=path.parent,
        )  # fmt: skip
    except msgspec.DecodeError:  # a run cut inside an item (another layout): the list whole
        checks = Columns()
        exts = _extensions(text, keep, check, whole=True, each=given, change=changes)
    schema.check_document(path, doc, checks)  # all but the extensions (its placeholder: [])
    doc["extensions"] = exts
    return doc


def _check_run(checks: Columns, run: bytes, exts: list[Table]) -> None:
    """A run of extensions as decoded from its text (a JSON list), by Columns; their text must
    hold their keys' and strings' quotation marks, else be decoded again as plain JSON and
    give the same (msgspec drops a field it does not know, or given twice)."""
    import msgspec

    if checks.run(exts) != run.count(b'"') and msgspec.json.decode(run) != exts:
        raise Doubt("a field unknown or given twice")


class Written:
    """A read's check, made on extensions as they are written (storage's `replacing`: a pull
    writes 100,000 extensions it never holds as one list): each run's text, as the store writes
    it, decoded by the decoder's types and checked as _load checks a run of the file. What it
    cannot vouch for is a `doubt`: the file written is then read back by `load`, whose rule
    book decides, in its words."""

    def __init__(self) -> None:
        self.checks = Columns()
        self.doubt = False

    def __call__(self, text: bytes) -> None:
        """One run's text: its items without the brackets."""
        import msgspec

        if self.doubt:
            return
        run = b"[%b]" % text
        try:
            if _controls(text):
                raise Doubt("a control character, or an escape that may be one")
            _check_run(self.checks, run, _decoders()[1].decode(run))
        except (Doubt, msgspec.MsgspecError):
            self.doubt = True

    def vouch(self, path: Path, doc: Any) -> bool:
        """Whether the document whose extensions were written passes: its other tables by
        schema.check_document (AccountFileError for a rule they break), and across the runs."""
        if self.doubt:
            return False
        try:
            schema.check_document(path, doc, self.checks)
        except Doubt:
            return False
        return True


def _unchecked(each: Each | Change, doc: Any, exts: list[Any]) -> Any:
    """`each` (or `change`) given the document's other tables before they are checked (at the
    end, with the runs'): what fails on them is a doubt, for the rule book to decide (its
    verdict, or `each` given the whole list it has checked)."""
    try:
        return each(doc, exts)
    except Exception as exc:
        raise Doubt(f"{each!r}: {exc}") from exc


def _decode(
    path: Path,
    data: bytes,
    keep: Callable[[Any], bool] | None,
    hint: str | None,
    lazy: bool = False,
    each: Each | None = None,
    change: Change | None = None,
) -> dict[str, Any]:
    """Content checked before, decoded as _load decodes it, no check; with a `hint`, the runs
    of extensions that do not hold it are not decoded (and all are if none kept is found so:
    the text may be written otherwise, its digits escaped)."""
    import msgspec

    doc, text = _top(data)
    if text is not None:
        given = None if each is None else partial(each, doc)  # type: ignore[arg-type]
        changes = None if change is None else partial(change, doc)  # type: ignore[arg-type]
        needle = None if hint is None or keep is None or each else hint.encode("utf-8")
        try:
            doc["extensions"] = _extensions(
                text, keep, holding=needle, lazy=lazy, each=given, change=changes,
                folder=path.parent,
            )  # fmt: skip
            if needle is not None and not doc["extensions"]:
                doc["extensions"] = _extensions(text, keep)
        except msgspec.DecodeError:  # another layout: the list whole
            doc["extensions"] = _extensions(text, keep, whole=True, each=given, change=changes)
    return doc


Text = tuple[bytes, int, int]  # text[1:2] of text[0]: a list's


def _top(data: bytes) -> tuple[dict[str, Any], Text | None]:
    """The top level's values decoded, but the extensions: their list's text, or None. The
    store writes the list last, so its text is then the file's end, taken without a copy."""
    import msgspec

    top = _decoders()[0].decode(data)  # each value as its text, none decoded yet
    doc = {key: [] if key == "extensions" else msgspec.json.decode(raw) for key, raw in top.items()}
    raw = top.get("extensions")
    if raw is None:
        return doc, None
    size = len(memoryview(raw))
    if list(top)[-1] == "extensions":
        end = _before_space(data, _before_space(data, len(data)) - 1)  # before the last brace
        if data[end - size : end - size + 1] == b"[":
            return doc, (data, end - size, end)
    else:  # a linked file's link follows its extensions
        start = _place(data, raw)
        if start is not None and data[start : start + 1] == b"[":
            return doc, (data, start, start + size)
    text = bytes(raw)
    if text[:1] != b"[":
        raise Doubt("extensions: not a list")
    return doc, (text, 0, size)


def _place(data: bytes, raw: Any) -> int | None:
    """Where the extensions list's text (`raw`) is in the file's: after its key, and the same
    bytes (compared in place: a copy of a large list costs its size)."""
    key = b'"extensions"'
    at = data.find(key)
    while at >= 0:
        start = _after_space(data, at + len(key), len(data))
        if data[start : start + 1] == b":":
            start = _after_space(data, start + 1, len(data))
            if data.startswith(raw, start):
                return start
        at = data.find(key, at + 1)
    return None


def _extensions(
    text: Text,
    keep: Callable[[Any], bool] | None,
    check: Callable[[bytes, list[Table]], None] | None = None,
    *,
    holding: bytes | None = None,
    whole: bool = False,
    lazy: bool = False,
    each: Callable[[list[Table]], Any] | None = None,
    change: Callable[[list[Table]], bool] | None = None,
    sought: bytes | None = None,
    folder: Path = Path("."),
) -> list[Any] | Extensions:
    """The extensions of a list's text, decoded a run at a time (or `whole`), each run checked
    by `check` as it is decoded: those `keep` keeps (all if None), or, `lazy` and keeping all,
    Extensions (domain/lazy.py: the text, each run decoded again when touched), or what `each`
    returns for each run's, each changed by `change` first; `holding`: text a run must hold to
    be decoded at all (content checked before); `folder`: the file's (_lazy's spool);
    `sought`: text a run must hold for `keep` to be asked about its extensions (they are
    decoded and checked all the same: as written, with no escape, which the check leaves to the
    rule book, each one kept holds it)."""
    decoder = _decoders()[1]
    data, start, end = text
    if whole:
        whole_text = data[start:end]
        exts = decoder.decode(whole_text)
        if check is not None:
            check(whole_text, exts)
        return _asked(exts, keep, change, each)
    if keep is None and lazy and each is None:
        return _lazy(data, start, end, check, change, folder)
    kept: list[Any] = []
    for first, last in _runs(data, start, end):
        run = _bracketed(data, first, last)
        if holding is not None and holding not in run:
            continue
        exts = decoder.decode(run)
        if check is not None:
            check(run, exts)
        if keep is not None and sought is not None and sought not in run:
            exts = []  # none of them is kept
        kept += _asked(exts, keep, change, each)
    return kept


def _lazy(
    data: bytes,
    start: int,
    end: int,
    check: Callable[[bytes, list[Table]], None] | None,
    change: Callable[[list[Table]], bool] | None = None,
    folder: Path = Path("."),
) -> Extensions:
    """Every extension of the list data[start:end], as Extensions: each run decoded (and
    checked by `check`, changed by `change`), its numbers and users' addresses indexed, its
    tables dropped: the run is its text in the file, or, with `change`, its text as changed
    (changed or not), spooled in `folder` (files.Spool)."""
    decoder = _decoders()[1]
    runs: list[Run] = []
    numbers: dict[str, int] = {}
    index = 0
    # the runs' text, as changed (beside the file: the old text is in memory meanwhile)
    text = files.Spool(folder) if change is not None else None
    for first, last in _runs(data, start, end):
        run = _bracketed(data, first, last)
        exts = decoder.decode(run)
        if check is not None:
            check(run, exts)
        users = None
        if change is not None and text is not None:  # no index: a change needs none
            at = len(text)
            text += codec.items_text(exts) if change(exts) else run[1:-1]
            first, last = at, len(text)
        else:  # an index for a command that touches a few
            try:
                numbers.update(zip(map(_NUMBER, exts), count(index)))
            except KeyError:  # one pulled without a number
                numbers.update((e["number"], i) for i, e in enumerate(exts, index) if "number" in e)
            users = list(user_emails(exts))
        runs.append(Run(first, last, len(exts), users))
        index += len(exts)
    if text is None:
        return Extensions(data, runs, decoder.decode, numbers)
    return Extensions(text, runs, decoder.decode, None)


def _bracketed(data: bytes, first: int, last: int) -> bytes:
    return b"".join((b"[", data[first:last], b"]"))


class Where:
    """keep: the extensions whose `key` is `value`."""

    def __init__(self, key: str, value: str) -> None:
        self.key, self.value = key, value

    def __call__(self, ext: Table) -> bool:
        return ext.get(self.key) == self.value


def _kept(exts: list[Table], keep: Callable[[Any], bool]) -> list[Table]:
    """The extensions `keep` keeps; for a Where whose key each extension holds (a required
    field: the status), in C loops."""
    if isinstance(keep, Where):
        try:
            values = list(map(itemgetter(keep.key), exts))
        except KeyError:
            pass
        else:
            return list(compress(exts, list(map(eq, values, repeat(keep.value)))))
    return list(filter(keep, exts))


_PLAIN_ASCII = bytes(range(0x20, 0x7F)) + b"\t\n\r"
# an escape that may stand for a control character (a backslash not itself escaped)
_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\[bfnrtu]")
_SPACE = b" \t\n\r"  # JSON's whitespace


def _controls(data: bytes) -> bool:
    """Whether a string of the file may hold a control character (rules.is_control). msgspec
    has refused a raw C0 control in a string (JSON's rule), so a raw one is JSON's whitespace
    between values. Other characters are looked up once each; an escape that may stand for a
    control character (`\\u001b`, `\\n`) is a doubt."""
    if b"\\" in data and _ESCAPE.search(data):
        return True
    if data.isascii():
        return b"\x7f" in data
    return rules.controls_in(set(data.translate(None, _PLAIN_ASCII).decode("utf-8")))


def _before_space(data: bytes, end: int) -> int:
    while end and data[end - 1] in _SPACE:
        end -= 1
    return end


def _runs(data: bytes, start: int, end: int) -> Iterator[tuple[int, int]]:
    """A list's text (data[start:end]) as runs of whole items, each data[first:last] without
    the space around it: cut where an item ends and the next begins on the next line (`},` and
    a newline: a raw newline is never inside a string), the store's layout. In another layout a
    cut may fall inside an item: that run does not decode (an item left open), and the list is
    then decoded whole."""
    end = _before_space(data, end - 1)  # before the closing bracket
    i = _after_space(data, start + 1, end)
    while True:
        cut = data.find(b"},\n", i + RUN, end)
        if cut < 0:
            yield i, end
            return
        yield i, cut + 1
        i = _after_space(data, cut + 2, end)


def _after_space(data: bytes, start: int, end: int) -> int:
    while start < end and data[start] in _SPACE:
        start += 1
    return start


# --- the rules, a column at a time ------------------------------------------------------------

_MANY_BY_KIND: dict[str, Callable[[list[str]], bool]] = {
    "name": lambda values: rules.texts_fit(values, required=True),
    "text": rules.texts_fit,
    "email": rules.emails_syntax,
    "phone": lambda values: rules.every(rules.E164_RE, values),
    "mobile": lambda values: rules.every(rules.E164_RE, values),
}
_MANY_BY_FIELD: dict[tuple[int, str], Callable[[list[str]], bool]] = {
    (id(schema.DEVICE), "mac"): lambda values: rules.every(rules.MAC_RE, values),
    (id(schema.ACTIVATION), "token_hash"): lambda values: rules.every(schema.TOKEN_HASH_RE, values),
}


def _many(spec: schema.Spec, key: str) -> Callable[[list[str]], bool] | None:
    """A field's load rule (schema.RULES) in a form for many values; None if it has none (a
    choice the decoder checks, a check across the document)."""
    rule = schema.RULES.get(id(spec), {}).get(key)
    user_field = fields.BY_NAME.get(key) if spec is schema.USER else None
    if user_field is not None and user_field.kind in _KIND_CHOICES:
        return None  # a choice: the decoder's Literal
    if user_field is not None and user_field.kind in _MANY_BY_KIND:
        return _MANY_BY_KIND[user_field.kind]
    if isinstance(rule, schema.Text):
        return lambda values: rules.texts_fit(values, required=rule.required, limit=rule.limit)
    if rule is schema.check_time:
        return _times
    many = _MANY_BY_FIELD.get((id(spec), key))
    if many is None and rule is not None:  # a rule without a form for many: value by value
        return lambda values: _each(rule, values)
    return many


def _looked_at(spec: schema.Spec) -> tuple[str, ...]:
    """The fields of a table whose values are looked at: those that are not strings (tables,
    booleans: counted apart, _marks) and those with a rule. A string field without a rule
    needs no look: the count of quotation marks answers for it."""
    return tuple(k for k, (kind, _, _) in spec.items() if kind is not str or _many(spec, k))


def _held(tables: list[Table], key: str) -> list[Any]:
    """The values of `key` in the tables that hold it, in one pass: a C loop while every table
    holds it (a required field, or one most hold)."""
    try:
        return list(map(itemgetter(key), tables))
    except KeyError:
        return [t[key] for t in tables if key in t]


def _marks(fields: int, other: int) -> int:
    """The quotation marks of tables holding `fields` fields, `other` of them not strings:
    two a key, two a string value."""
    return 2 * (2 * fields - other)


class Columns:
    """schema.ExtensionChecks' verdicts over runs of extensions (their shape checked by the
    decoder), a column of values at a time; raises Doubt where ExtensionChecks would raise.
    Across runs, it keeps what must be unique and what is checked at the end."""

    def __init__(self) -> None:
        self.numbers: list[str] = []
        self.ids: list[str] = []
        self.sites: set[str] = set()
        self.roles: set[str] = set()
        self.questions: set[str] = set()

    def run(self, exts: list[Table]) -> int:
        """Checks one run's extensions; returns how many quotation marks their keys and string
        values hold. Their text holds as many, unless the decoder dropped a field (unknown, or
        given twice) or it holds an escaped quotation mark (a name may: then the text is
        decoded again as plain JSON and compared)."""
        return self._extensions(exts) if exts else 0

    def _extensions(self, exts: list[Table]) -> int:
        """The extension's own rules (ExtensionChecks.check); returns the quotation marks."""
        has_user = list(map(dict.__contains__, exts, repeat("user")))
        if has_user != list(map(ne, map(_STATUS, exts), repeat("unassigned"))):
            raise Doubt("status and user")
        self.sites.update(map(_SITE, exts))
        fields = sum(map(len, exts))
        numbers = _held(exts, "number")
        devices = _held(exts, "device")
        users = list(map(_USER, compress(exts, has_user)))
        # two fields each (site, status), and these: any other (id, base, release) is rare
        rare = fields != 2 * len(exts) + len(numbers) + len(devices) + len(users)
        ids = _held(exts, "id") if rare else []
        bases = _held(exts, "base") if rare else []
        releases = _held(exts, "release") if rare else []
        if len(numbers) < len(exts):  # only an unassigned one pulled with its id has none
            if any(
                "number" not in e and ("id" not in e or e["status"] != "unassigned") for e in exts
            ):
                raise Doubt("number")
        _rule(rules.every(rules.NUMBER_RE, numbers))
        self.numbers += numbers
        reserved = rules.RESERVED_NUMBERS.intersection(numbers)
        if reserved and any(  # the platform's to judge while it holds the pulled value
            e.get("number") in reserved and e.get("base", {}).get("number") != e["number"]
            for e in exts
        ):
            raise Doubt("reserved number")
        _rule(rules.every(schema.ID_RE, ids))
        self.ids += ids
        if releases and any(
            "release" in e
            and not (e["release"] is True and e["status"] == "unassigned" and "base" in e)
            for e in exts
        ):
            raise Doubt("release")
        marks = _leaf(devices, schema.DEVICE) + _leaf(bases, schema.BASE)
        marks += self._users(users, [e.get("base") for e in exts if "user" in e] if bases else [])
        other = len(devices) + len(bases) + len(users) + len(releases)
        return _marks(fields, other) + marks

    def _users(self, users: list[Table], bases: list[Table | None]) -> int:
        """The users' rules (ExtensionChecks._check_user): a field the platform gave (PULLED)
        is the platform's to judge while it holds the pulled value (its extension's base:
        `bases`, each user's, when any extension has one). Returns the quotation marks."""
        if not users:
            return 0
        linked = any(map(is_not, bases, repeat(None)))
        for key in PULLED:
            if linked:
                values = [
                    u[key]
                    for u, b in zip(users, bases, strict=True)
                    if key in u and (b is None or u[key] != b.get(key, ""))
                ]
            else:
                values = _held(users, key)
            _rule(_PULLED_RULES[key](values))
        self.roles.update(map(_ROLE, users))
        waived = _held(users, "unique_email")
        if False in waived and any(
            u.get("unique_email") is False and u.get("setup") != "credentials" for u in users
        ):
            raise Doubt("unique_email")
        other = len(waived)
        marks = 0
        for key, many, inner in _USER_LOOKS:
            values = _held(users, key)
            if inner is not None:
                other += len(values)
                marks += _leaf(values, inner)
                if key == "credentials":
                    self.questions.update(_held(values, "security_question"))
            elif many is not None:
                _rule(many(values))
        return _marks(sum(map(len, users)), other) + marks

    def check_sites(self, names: set[str]) -> None:
        """At the end (schema.check_document): every site named is the account's, and every
        number and id is unique."""
        if not {site.casefold() for site in self.sites} <= names:
            raise Doubt("site")
        if len(set(self.numbers)) != len(self.numbers) or len(set(self.ids)) != len(self.ids):
            raise Doubt("not unique")

    def check_roles(self, names: set[str]) -> None:
        if not {role.casefold() for role in self.roles} <= names:
            raise Doubt("role")

    def check_questions(self, questions: list[str]) -> None:
        rule = rules.as_written(lambda value: rules.security_question(value, questions))
        _rule(_each(rule, self.questions))


def _leaf(tables: list[Table], spec: schema.Spec) -> int:
    """A column of tables holding no table (device, credentials, activation, Engage Voice,
    base) checked by their fields' rules; returns their quotation marks."""
    if not tables:
        return 0
    other = 0
    for key, many in _leaf_plan(id(spec)):
        values = _held(tables, key)
        if many is None:  # not a string
            other += len(values)
        else:
            _rule(many(values))
    return _marks(sum(map(len, tables)), other)


@cache
def _leaf_plan(spec_id: int) -> list[tuple[str, Callable[[list[str]], bool] | None]]:
    """_leaf's fields of a table (_looked_at) and their rules, worked out once."""
    spec = next(s for s in (*_inner(schema.EXTENSION).values(), *_inner(schema.USER).values())
                if id(s) == spec_id)  # fmt: skip
    return [(k, None if spec[k][0] is not str else _many(spec, k)) for k in _looked_at(spec)]


def _rule(holds: bool) -> None:
    if not holds:
        raise Doubt("a value rule")


def _each(rule: Callable[[str], object], values: Iterable[str]) -> bool:
    try:
        for value in values:
            rule(value)
    except InvalidValue:
        return False
    return True


def _times(values: list[str]) -> bool:
    """schema.check_time over many values, each distinct one parsed once."""
    try:
        return not any(t.tzinfo is None for t in map(datetime.fromisoformat, set(values)))
    except ValueError:
        return False


_STATUS, _SITE, _USER, _ROLE, _NUMBER = map(
    itemgetter, ("status", "site", "user", "role", "number")
)
# the rules of the fields the platform gives, for many values (_many)
_PULLED_RULES = {key: _many(schema.USER, key) or (lambda values: True) for key in PULLED}
# the user's other fields looked at (its tables, and those with a rule): (key, rule, table)
_USER_LOOKS = [
    (key, _many(schema.USER, key), _inner(schema.USER).get(key))
    for key in _looked_at(schema.USER)
    if key not in PULLED and key != "unique_email"
]
