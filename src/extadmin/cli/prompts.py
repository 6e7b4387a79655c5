"""Every interactive prompt, behind one module. questionary and prompt_toolkit are imported
here, lazily, and nowhere else; every function takes `**io` (prompt_toolkit's `input` and
`output`) so tests can drive it with a pipe.

Validators are plain callables that return the normalised value or raise ExtadminError. The
answer is checked once it is given; a broken rule is printed right below the prompt, wrapped
to the terminal's width (never in a toolbar on the last row, never cut), and the question is
asked again with the answer to correct.

Two ways of asking, the same functions:
- at a terminal that can move its cursor: questionary, and a picker of our own (`select`) that
  starts on the default, marks the account's default, does not wrap around, filters as you
  type and selects nothing when nothing matches;
- at a dumb terminal (TERM=dumb or unknown, or no TERM): plain lines, numbered choices, input
  read line by line and secrets with getpass; no escape sequence is ever written.

`back=True` lets the admin go back: Escape (or `<` at a plain prompt) raises `Back`. Ctrl-C
raises KeyboardInterrupt at once, whatever the prompt."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from extadmin.errors import Cancelled, ExtadminError

# prompt_toolkit's formatted text (StyleAndTextTuples): (style, text) pairs; list[Any] because
# that list type is invariant and its element type changed between prompt_toolkit releases
Fragments = list[Any]

Check = Callable[[str], Any]
Choice = tuple[str, str] | tuple[str, str, str]

BACK_PLAIN = "<"
PLAIN_LIST_LIMIT = 20  # a searchable list longer than this is not printed whole at a plain prompt


class Back(Exception):
    """Escape at a prompt asked with `back=True`: the caller goes back one question."""


# --- where and how to ask -------------------------------------------------------------------------


def plain_terminal() -> bool:
    """A terminal without cursor movement or attributes: TERM=dumb (or unknown, or unset)."""
    term = os.environ.get("TERM", "").lower()
    return term in ("dumb", "unknown") or (not term and os.name == "posix")


@dataclass
class Plain:
    """Line-by-line prompts on plain streams: what a dumb terminal (or an editor's shell
    buffer) can show. Nothing here writes an escape sequence."""

    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)

    def write(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def read(self, prompt: str, *, hidden: bool = False) -> str:
        if hidden and self.stdin is sys.stdin and self.stdin.isatty():
            import getpass

            self.stdout.flush()
            return getpass.getpass(prompt)  # no echo at all: nothing to erase afterwards
        self.write(prompt)
        line = self.stdin.readline()
        if not line:
            raise EOFError
        return line.rstrip("\r\n")


def _plain(io: dict[str, Any]) -> Plain | None:
    if "plain" in io:
        plain: Plain = io["plain"]
        return plain
    if "input" in io or "output" in io:  # prompt_toolkit's pipe and screen (tests)
        return None
    return Plain() if plain_terminal() else None


def _toolkit(io: dict[str, Any]) -> dict[str, Any]:
    return {k: io[k] for k in ("input", "output") if k in io}


def _width(io: dict[str, Any]) -> int:
    output = io.get("output")
    if output is not None:
        return int(output.get_size().columns)
    plain = io.get("plain")
    stream = plain.stdout if plain is not None else sys.stdout
    try:  # the terminal itself: a COLUMNS left in the environment may be stale
        return os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return shutil.get_terminal_size().columns


def wrap(text: str, io: dict[str, Any], indent: str = "  ") -> str:
    """`text` wrapped to the terminal's width, every line indented."""
    width = max(20, _width(io) - 1)
    return "\n".join(
        textwrap.fill(
            line,
            width,
            initial_indent=indent,
            subsequent_indent=indent,
            break_on_hyphens=False,
        )
        for line in text.splitlines() or [""]
    )


def fit(message: str, io: dict[str, Any], reserve: int = 12) -> str:
    """A question that fits the terminal: wrapped at words onto more lines (after "? ", with
    `reserve` columns left for the answer) rather than cut by the terminal in a word."""
    width = _width(io)
    if len(message) + 2 + reserve <= width:
        return message
    return "\n  ".join(textwrap.wrap(message, max(20, width - 3), break_on_hyphens=False))


def pair(label: str, value: str, **io: Any) -> None:
    """A label and its value in two columns (the review); a long value wraps in its column."""
    head = f"  {label:<26} "
    width = max(20, _width(io) - 1)
    if width - len(head) < 20:  # too narrow for two columns: the value below, indented
        say(f"  {label}\n" + wrap(value, io, "      "), **io)
        return
    say(textwrap.fill(value, width, initial_indent=head, subsequent_indent=" " * len(head),
                      break_on_hyphens=False), **io)  # fmt: skip


def back_hint(**io: Any) -> str:
    """How to go back, in the words of the prompts in use."""
    if _plain(io) is not None:
        return f"Enter {BACK_PLAIN} to go back one question; Ctrl-C cancels (nothing is written)."
    return "Esc goes back one question; Ctrl-C cancels (nothing is written)."


# --- output -------------------------------------------------------------------------------------


def say(text: str, style: str | None = None, **io: Any) -> None:
    plain = _plain(io)
    if plain is not None:
        plain.write(text + "\n")
        return
    import questionary

    questionary.print(text, style=style, output=io.get("output"))  # printing takes no input


def problem(text: str, **io: Any) -> None:
    """A broken rule, right below the prompt, wrapped to the terminal's width."""
    say(wrap(text, io), style="fg:ansired", **io)


def hint(text: str, indent: str = "  ", **io: Any) -> None:
    """What a value must be, shown before it is typed, wrapped to the terminal's width."""
    say(wrap(text, io, indent), **io)


def step(number: int, total: int, title: str, **io: Any) -> None:
    """The header that shows where the admin is: "Step 3 of 8: Credentials"."""
    say(f"\nStep {number} of {total}: {title}", style="bold", **io)


# --- questionary, with a way back ---------------------------------------------------------------


def _ask(question: Any, back: bool = False) -> Any:
    if back:
        _bind_escape(question.application)
    answer = question.unsafe_ask()  # Ctrl-C raises KeyboardInterrupt: the caller writes nothing
    if answer is None:
        raise Cancelled()
    return answer


def _bind_escape(app: Any) -> None:
    from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings

    bindings = KeyBindings()

    @bindings.add("escape", eager=True)
    def _back(event: Any) -> None:
        event.app.exit(exception=Back(), style="class:aborting")

    app.key_bindings = (
        merge_key_bindings([app.key_bindings, bindings]) if app.key_bindings else (bindings)
    )


def _error(check: Check | None, value: str, optional: bool) -> str | None:
    if check is None or (optional and not value.strip()):
        return None
    try:
        check(value)
    except ExtadminError as exc:
        return exc.message
    return None


def _plain_line(
    plain: Plain, message: str, *, default: str = "", hidden: bool = False, back: bool = False
) -> str:
    shown = f" [{default}]" if default and not hidden else ""
    value = plain.read(f"? {message}{shown}: ", hidden=hidden)
    if back and value.strip() == BACK_PLAIN:
        raise Back()
    return value if value.strip() or hidden else (default or value)


# --- the prompts --------------------------------------------------------------------------------


def text(
    message: str,
    check: Check | None = None,
    *,
    default: str = "",
    optional: bool = False,
    back: bool = False,
    **io: Any,
) -> str:
    """A line of text, checked once submitted and asked again (with the answer to correct)
    until it is valid; optional ones may be skipped with Enter."""
    hint_ = " (Enter to skip)" if optional and not default else ""
    value = default
    while True:
        plain = _plain(io)
        if plain is not None:
            value = _plain_line(plain, message + hint_, default=default, back=back)
        else:
            import questionary

            value = _ask(questionary.text(message + hint_, default=value, **_toolkit(io)), back)
        error = _error(check, value, optional)
        if error is None:
            return value.strip()
        problem(error, **io)


def secret(
    message: str, check: Check | None = None, *, back: bool = False, keep: bool = False, **io: Any
) -> str:
    """A hidden value, checked once submitted and asked again until valid. With `keep`, Enter
    keeps the value given before: the answer is then ''."""
    shown = f"{message} (Enter keeps the one given)" if keep else message
    value = ""
    while True:
        plain = _plain(io)
        if plain is not None:
            value = _plain_line(plain, shown, hidden=True, back=back)
        else:  # asked again with the rejected entry (hidden) to correct, as text is
            import questionary

            question = questionary.password(fit(shown, io), default=value, **_toolkit(io))
            value = _ask(question, back)
        if keep and value == "":
            return ""
        error = _error(check, value, False)
        if error is None:
            return value
        problem(error, **io)


def secret_twice(
    message: str, check: Check | None = None, *, back: bool = False, keep: bool = False, **io: Any
) -> str:
    """A hidden value entered twice; asked again until valid and both entries match. Escape at
    the second entry asks the first again. With `keep`, Enter at the first keeps the value
    given before: the answer is then ''."""
    # "Password" -> "Re-enter password", but "PIN" stays "Re-enter PIN" (an acronym)
    name = message if message[:2].isupper() else message[0].lower() + message[1:]
    while True:
        first = secret(message, check, back=back, keep=keep, **io)
        if keep and first == "":
            return ""
        try:
            again = secret(f"Re-enter {name}", back=True, **io)
        except Back:
            continue
        if first == again:
            return first
        problem("The two entries do not match: enter them again.", **io)


def confirm(message: str, *, default: bool = True, back: bool = False, **io: Any) -> bool:
    plain = _plain(io)
    if plain is None:
        import questionary

        question = questionary.confirm(fit(message, io, 8), default=default, **_toolkit(io))
        value: bool = _ask(question, back)
        return value
    while True:
        answer = _plain_line(plain, f"{message} ({'Y/n' if default else 'y/N'})", back=back)
        word = answer.strip().casefold()
        if not word:
            return default
        if word in ("y", "yes"):
            return True
        if word in ("n", "no"):
            return False
        problem("Answer y or n.", **io)


def confirm_or_cancel(message: str, *, default: bool = False, **io: Any) -> None:
    if not confirm(message, default=default, **io):
        raise Cancelled()


# --- select: the picker -------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    title: str
    value: str
    description: str | None = None


def select(
    message: str,
    choices: Sequence[Choice],
    default: str | None = None,
    *,
    search: bool = False,
    marked: str | None = None,
    no_match: Callable[[str], str] | None = None,
    back: bool = False,
    **io: Any,
) -> str:
    """One of (title, value[, description]) choices. The cursor starts on `default` (else on
    the first); the choice whose value is `marked` is labelled "default"; the list does not
    wrap around. With `search`, typing filters the list (values that start with the text
    first, then titles that contain it); when nothing matches, `no_match(text)` says why and
    Enter selects nothing."""
    items = [Item(c[0], c[1], c[2] if len(c) > 2 else None) for c in choices]
    if not items:
        raise ExtadminError(f"{message}: nothing to choose from")
    start = next((i for i, item in enumerate(items) if item.value == default), 0)
    explain = no_match or (lambda typed: f"nothing matches {typed!r}")
    plain = _plain(io)
    if plain is not None:
        return _plain_select(plain, message, items, start, search, marked, explain, back, io)
    return Picker(message, items, start, search, marked, explain, back).run(**_toolkit(io))


def filtered(items: Sequence[Item], keys: Sequence[str], typed: str) -> list[int]:
    """The positions of the items that match `typed`: values starting with it first, then
    titles containing it (`keys` are the casefolded titles, values before a tab)."""
    query = typed.strip().casefold()
    if not query:
        return list(range(len(items)))
    first = [i for i, key in enumerate(keys) if key.startswith(query)]
    seen = set(first)
    return first + [i for i, key in enumerate(keys) if query in key and i not in seen]


def _keys(items: Sequence[Item]) -> list[str]:
    return [f"{item.value}\t{item.title}".casefold() for item in items]


class Picker:
    """The list of choices as a small prompt_toolkit application: the question line (with the
    filter text when searching), a message line when nothing matches, the visible part of the
    list, the description of the choice under the cursor."""

    def __init__(
        self,
        message: str,
        items: list[Item],
        start: int,
        search: bool,
        marked: str | None,
        no_match: Callable[[str], str],
        back: bool,
    ) -> None:
        self.message, self.items, self.search = message, items, search
        self.marked, self.no_match, self.back = marked, no_match, back
        self.keys = _keys(items) if search else []
        self.matches = list(range(len(items)))
        self.pos = start  # in self.matches
        self.top = 0
        self.start = start
        self.typed = ""
        self.answer: Item | None = None
        self.closed = False

    # --- state ----------------------------------------------------------------------------------
    def refilter(self, typed: str) -> None:
        self.typed = typed
        self.matches = filtered(self.items, self.keys, typed)
        self.pos = self.start if not typed.strip() else 0
        self.top = 0

    def move(self, delta: int) -> None:
        if self.matches:
            self.pos = min(max(self.pos + delta, 0), len(self.matches) - 1)  # no wrap-around

    def visible(self, rows: int) -> range:
        if self.pos < self.top:
            self.top = self.pos
        elif self.pos >= self.top + rows:
            self.top = self.pos - rows + 1
        return range(self.top, min(self.top + rows, len(self.matches)))

    # --- drawing --------------------------------------------------------------------------------
    def question(self) -> Fragments:
        line = [("class:qmark", "?"), ("class:question", f" {self.message} ")]
        if self.answer is not None:
            return [*line, ("class:answer", self.answer.title)]
        if self.closed:
            return line
        if self.search:
            return [*line, ("class:instruction", "(type to filter) ")]
        return line

    def problem(self) -> str:
        if self.answer is None and not self.closed and not self.matches:
            return self.no_match(self.typed.strip())
        return ""

    def listing(self, rows: int) -> Fragments:
        if self.answer is not None or self.closed or not self.matches:
            return []
        shown = self.visible(rows)
        lines: list[Fragments] = []
        if shown.start > 0:
            lines.append([("class:instruction", f"  ↑ {shown.start} more")])
        for pos in shown:
            item = self.items[self.matches[pos]]
            current = pos == self.pos
            line = [
                ("class:highlighted" if current else "", f"{'»' if current else ' '} {item.title}")
            ]
            if item.value == self.marked:
                line.append(("class:instruction", "  (default)"))
            lines.append(line)
        below = len(self.matches) - shown.stop
        if below > 0:
            more = " (type to narrow)" if self.search else ""
            lines.append([("class:instruction", f"  ↓ {below} more{more}")])
        out: Fragments = []
        for n, line in enumerate(lines):
            out += ([("", "\n")] if n else []) + line
        return out

    def description(self) -> str:
        if self.answer is not None or self.closed or not self.matches:
            return ""
        return self.items[self.matches[self.pos]].description or ""

    # --- running --------------------------------------------------------------------------------
    def run(self, **io: Any) -> str:
        from prompt_toolkit.application import Application
        from prompt_toolkit.buffer import Buffer
        from prompt_toolkit.filters import Condition
        from prompt_toolkit.key_binding import KeyBindings
        from prompt_toolkit.layout import ConditionalContainer, HSplit, Layout, Window
        from prompt_toolkit.layout.controls import BufferControl, FormattedTextControl
        from prompt_toolkit.layout.processors import BeforeInput
        from prompt_toolkit.styles import Style

        bindings = KeyBindings()
        rows = [10]

        @bindings.add("up", eager=True)
        @bindings.add("c-p", eager=True)
        def _up(event: Any) -> None:
            self.move(-1)

        @bindings.add("down", eager=True)
        @bindings.add("c-n", eager=True)
        def _down(event: Any) -> None:
            self.move(1)

        @bindings.add("pageup", eager=True)
        def _page_up(event: Any) -> None:
            self.move(-rows[0])

        @bindings.add("pagedown", eager=True)
        def _page_down(event: Any) -> None:
            self.move(rows[0])

        @bindings.add("enter", eager=True)
        def _enter(event: Any) -> None:
            if self.matches:  # nothing matches: nothing is selected, the message stays
                self.answer = self.items[self.matches[self.pos]]
                event.app.exit(result=self.answer.value)

        @bindings.add("c-c", eager=True)
        def _interrupt(event: Any) -> None:
            self.closed = True
            event.app.exit(exception=KeyboardInterrupt, style="class:aborting")

        if self.back:

            @bindings.add("escape", eager=True)
            def _back(event: Any) -> None:
                self.closed = True
                event.app.exit(exception=Back(), style="class:aborting")

        def error_line() -> Fragments:
            return [("class:error", wrap(self.problem(), {"output": app.output}))]

        def listing() -> Fragments:
            size = app.output.get_size()
            rows[0] = max(3, min(20, size.rows - 6))
            return self.listing(rows[0])

        answered = Condition(lambda: self.answer is not None or self.closed)
        if self.search:
            buffer = Buffer(multiline=False, on_text_changed=lambda b: self.refilter(b.text))
            top: Any = HSplit(
                [
                    ConditionalContainer(
                        Window(
                            BufferControl(buffer, input_processors=[BeforeInput(self.question)]),
                            height=1,
                        ),
                        filter=~answered,
                    ),
                    ConditionalContainer(
                        Window(FormattedTextControl(self.question), height=1), filter=answered
                    ),
                ]
            )
        else:
            top = Window(FormattedTextControl(self.question, show_cursor=False), height=1)
        layout = HSplit(
            [
                top,
                ConditionalContainer(
                    Window(
                        FormattedTextControl(error_line),
                        wrap_lines=True,
                    ),
                    filter=Condition(lambda: bool(self.problem())),
                ),
                ConditionalContainer(
                    Window(FormattedTextControl(listing, show_cursor=False)),
                    filter=Condition(lambda: bool(self.matches)) & ~answered,
                ),
                ConditionalContainer(
                    Window(
                        FormattedTextControl(lambda: [("class:instruction", self.description())]),
                        wrap_lines=True,
                    ),
                    filter=Condition(lambda: bool(self.description())),
                ),
            ]
        )
        style = Style.from_dict(
            {
                "qmark": "fg:#5f819d",
                "question": "bold",
                "answer": "fg:#ff9d00 bold",
                "highlighted": "fg:#ff9d00 bold",
                "instruction": "",
                "error": "fg:ansired",
            }
        )
        app: Application[str] = Application(
            layout=Layout(layout), key_bindings=bindings, style=style, **io
        )
        return app.run()


def _plain_select(
    plain: Plain,
    message: str,
    items: list[Item],
    start: int,
    search: bool,
    marked: str | None,
    no_match: Callable[[str], str],
    back: bool,
    io: dict[str, Any],
) -> str:
    """Numbered choices (a searchable list: its titles, the value typed), asked line by line."""

    def show(positions: Sequence[int], numbered: bool) -> None:
        lines = []
        for n, i in enumerate(positions[:PLAIN_LIST_LIMIT], 1):
            item = items[i]
            mark = " (default)" if item.value == marked else ""
            label = f"{n:>2}) " if numbered else ""
            desc = f": {item.description}" if item.description else ""
            line = f"{label}{item.title.rstrip()}{mark}{desc}"
            lines.append(wrap(line, io, "  ").replace("\n  ", "\n      " if numbered else "\n    "))
        if len(positions) > PLAIN_LIST_LIMIT:
            lines.append(f"  … {len(positions) - PLAIN_LIST_LIMIT} more: type to narrow")
        plain.write("\n".join(lines) + "\n")

    keys = _keys(items)
    shown = list(range(len(items)))
    show(shown, not search)
    while True:
        if search:
            prompt = f"{message} (type to filter)"
        else:
            prompt = f"{message} (1-{len(items)})"
        default = items[start].value if search else str(start + 1)
        answer = _plain_line(plain, prompt, default=default, back=back).strip()
        exact = [
            i
            for i, item in enumerate(items)
            if answer.casefold() in (item.value.casefold(), item.title.casefold())
        ]
        if exact:
            return items[exact[0]].value
        if not search and answer.isdigit() and 1 <= int(answer) <= len(items):
            return items[int(answer) - 1].value
        if not search:
            problem(f"Choose a number from 1 to {len(items)}.", **io)
            continue
        matches = filtered(items, keys, answer)
        if not matches:
            problem(no_match(answer), **io)
            continue
        show(matches, False)
