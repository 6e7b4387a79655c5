"""Every interactive prompt, behind one object: `Prompter`, which holds the terminal's input
and output once and is handed to whatever asks (the walkthrough, `App.confirm`, `platform
apply`). questionary and prompt_toolkit are imported here, lazily, and nowhere else. Tests drive
it with prompt_toolkit's pipe (`Prompter(input=pipe, output=...)`), or replace it with the fake
prompter of tests/fake_prompter.py to test the walkthrough's logic.

Validators are plain callables that return the normalised value or raise ExtadminError. The
answer is checked once it is given; a broken rule is printed right below the prompt, wrapped
to the terminal's width (never in a toolbar on the last row, never cut), and the question is
asked again with an empty field: what is typed next is the whole answer, never added to the
rejected one (hidden, the admin cannot see what is still there). At a text question the Up
arrow brings the rejected answer back, to correct it.

Two ways of asking, the same methods:
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


def wrap(text: str, width: int, indent: str = "  ") -> str:
    """`text` wrapped to a terminal `width` columns wide, every line indented."""
    width = max(20, width - 1)
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


def fit(message: str, width: int, reserve: int = 12) -> str:
    """A question that fits a terminal `width` columns wide: wrapped at words onto more lines
    (after "? ", with `reserve` columns left for the answer) rather than cut by the terminal in
    a word."""
    if len(message) + 2 + reserve <= width:
        return message
    return "\n  ".join(textwrap.wrap(message, max(20, width - 3), break_on_hyphens=False))


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


def error(check: Check | None, value: str, optional: bool) -> str | None:
    """The broken rule of an answer, or None (an optional answer left empty breaks none)."""
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


def re_enter(message: str) -> str:
    """The second entry of a secret: "Password" -> "Re-enter password", but "PIN" stays
    "Re-enter PIN" (an acronym)."""
    name = message if message[:2].isupper() else message[0].lower() + message[1:]
    return f"Re-enter {name}"


# --- the prompter -------------------------------------------------------------------------------


class Prompter:
    """The terminal's prompts, holding its input and output once: `Prompter()` for the real
    terminal (plain lines at a dumb one), `Prompter(input=pipe, output=screen)` to drive it
    from prompt_toolkit's pipe, `Prompter(plain=Plain(stdin, stdout))` for plain streams.

    The questions (`text`, `secret`, `secret_twice`, `select`, `confirm`) take `name`, the
    field asked: the terminal shows only the message; a fake prompter (tests/fake_prompter.py)
    answers by it. Everything said goes through `say`."""

    def __init__(self, *, input: Any = None, output: Any = None, plain: Plain | None = None):
        self.input, self.output = input, output
        if plain is None and input is None and output is None and plain_terminal():
            plain = Plain()
        self.plain = plain

    # --- where --------------------------------------------------------------------------------
    def width(self) -> int:
        if self.output is not None:
            return int(self.output.get_size().columns)
        stream = self.plain.stdout if self.plain is not None else sys.stdout
        try:  # the terminal itself: a COLUMNS left in the environment may be stale
            return os.get_terminal_size(stream.fileno()).columns
        except (OSError, ValueError, AttributeError):
            return shutil.get_terminal_size().columns

    def back_hint(self) -> str:
        """How to go back, in the words of the prompts in use."""
        if self.plain is not None:
            return (
                f"Enter {BACK_PLAIN} to go back one question; Ctrl-C cancels (nothing is written)."
            )
        return "Esc goes back one question; Ctrl-C cancels (nothing is written)."

    # --- output -------------------------------------------------------------------------------
    def say(self, text: str, style: str | None = None) -> None:
        if self.plain is not None:
            self.plain.write(text + "\n")
            return
        import questionary

        questionary.print(text, style=style, output=self.output)  # printing takes no input

    def problem(self, text: str) -> None:
        """A broken rule, right below the prompt, wrapped to the terminal's width."""
        self.say(wrap(text, self.width()), style="fg:ansired")

    def hint(self, text: str, indent: str = "  ") -> None:
        """What a value must be, shown before it is typed, wrapped to the terminal's width."""
        self.say(wrap(text, self.width(), indent))

    def step(self, number: int, total: int, title: str) -> None:
        """The header that shows where the admin is: "Step 3 of 8: Credentials"."""
        self.say(f"\nStep {number} of {total}: {title}", style="bold")

    def pair(self, label: str, value: str) -> None:
        """A label and its value in two columns (the review); a long value wraps in its
        column."""
        head = f"  {label:<26} "
        width = max(20, self.width() - 1)
        if width - len(head) < 20:  # too narrow for two columns: the value below, indented
            self.say(f"  {label}\n" + wrap(value, self.width(), "      "))
            return
        indent = " " * len(head)
        self.say(
            textwrap.fill(
                value, width, initial_indent=head, subsequent_indent=indent, break_on_hyphens=False
            )
        )

    # --- the questions ------------------------------------------------------------------------
    def text(
        self,
        message: str,
        check: Check | None = None,
        *,
        default: str = "",
        optional: bool = False,
        back: bool = False,
        name: str = "",
    ) -> str:
        """A line of text, checked once submitted and asked again until it is valid (the field
        empty, the rejected answer one Up arrow away); optional ones may be skipped with
        Enter."""
        hint_ = " (Enter to skip)" if optional and not default else ""
        start, rejected = default, ""
        while True:
            if self.plain is not None:
                value = _plain_line(self.plain, message + hint_, default=default, back=back)
            else:
                import questionary
                from prompt_toolkit.history import InMemoryHistory

                question = questionary.text(
                    message + hint_,
                    default=start,
                    history=InMemoryHistory([rejected] if rejected else []),
                    input=self.input,
                    output=self.output,
                )
                value = _ask(question, back)
            broken = error(check, value, optional)
            if broken is None:
                return value.strip()
            self.problem(broken)
            start, rejected = "", value

    def secret(
        self,
        message: str,
        check: Check | None = None,
        *,
        back: bool = False,
        keep: bool = False,
        name: str = "",
    ) -> str:
        """A hidden value, checked once submitted and asked again until valid. With `keep`,
        Enter keeps the value given before: the answer is then ''."""
        shown = f"{message} (Enter keeps the one given)" if keep else message
        while True:
            if self.plain is not None:
                value = _plain_line(self.plain, shown, hidden=True, back=back)
            else:  # always an empty field: a rejected entry is never kept, nor recalled
                import questionary

                question = questionary.password(
                    fit(shown, self.width()), input=self.input, output=self.output
                )
                value = _ask(question, back)
            if keep and value == "":
                return ""
            broken = error(check, value, False)
            if broken is None:
                return value
            self.problem(broken)

    def secret_twice(
        self,
        message: str,
        check: Check | None = None,
        *,
        back: bool = False,
        keep: bool = False,
        name: str = "",
    ) -> str:
        """A hidden value entered twice; asked again until valid and both entries match.
        Escape at the second entry asks the first again. With `keep`, Enter at the first keeps
        the value given before: the answer is then ''."""
        while True:
            first = self.secret(message, check, back=back, keep=keep, name=name)
            if keep and first == "":
                return ""
            try:
                again = self.secret(re_enter(message), back=True, name=name)
            except Back:
                continue
            if first == again:
                return first
            self.problem("The two entries do not match: enter them again.")

    def confirm(
        self, message: str, *, default: bool = True, back: bool = False, name: str = ""
    ) -> bool:
        if self.plain is None:
            import questionary

            question = questionary.confirm(
                fit(message, self.width(), 8),
                default=default,
                input=self.input,
                output=self.output,
            )
            value: bool = _ask(question, back)
            return value
        while True:
            answer = _plain_line(
                self.plain, f"{message} ({'Y/n' if default else 'y/N'})", back=back
            )
            word = answer.strip().casefold()
            if not word:
                return default
            if word in ("y", "yes"):
                return True
            if word in ("n", "no"):
                return False
            self.problem("Answer y or n.")

    def confirm_or_cancel(self, message: str, *, default: bool = False) -> None:
        if not self.confirm(message, default=default):
            raise Cancelled()

    def select(
        self,
        message: str,
        choices: Sequence[Choice],
        default: str | None = None,
        *,
        search: bool = False,
        marked: str | None = None,
        no_match: Callable[[str], str] | None = None,
        back: bool = False,
        name: str = "",
    ) -> str:
        """One of (title, value[, description]) choices. The cursor starts on `default` (else
        on the first); the choice whose value is `marked` is labelled "default"; the list does
        not wrap around. With `search`, typing filters the list (values that start with the
        text first, then titles that contain it); when nothing matches, `no_match(text)` says
        why and Enter selects nothing."""
        items = items_of(choices)
        if not items:
            raise ExtadminError(f"{message}: nothing to choose from")
        start = next((i for i, item in enumerate(items) if item.value == default), 0)
        explain = no_match or (lambda typed: f"nothing matches {typed!r}")
        if self.plain is not None:
            return self._plain_select(message, items, start, search, marked, explain, back)
        picker = Picker(message, items, start, search, marked, explain, back)
        return picker.run(self.input, self.output)

    def _plain_select(
        self,
        message: str,
        items: list[Item],
        start: int,
        search: bool,
        marked: str | None,
        no_match: Callable[[str], str],
        back: bool,
    ) -> str:
        """Numbered choices (a searchable list: its titles, the value typed), asked line by
        line."""
        plain = self.plain
        assert plain is not None

        def show(positions: Sequence[int], numbered: bool) -> None:
            lines = []
            for n, i in enumerate(positions[:PLAIN_LIST_LIMIT], 1):
                item = items[i]
                mark = " (default)" if item.value == marked else ""
                label = f"{n:>2}) " if numbered else ""
                desc = f": {item.description}" if item.description else ""
                line = wrap(f"{label}{item.title.rstrip()}{mark}{desc}", self.width(), "  ")
                lines.append(line.replace("\n  ", "\n      " if numbered else "\n    "))
            if len(positions) > PLAIN_LIST_LIMIT:
                lines.append(f"  … {len(positions) - PLAIN_LIST_LIMIT} more: type to narrow")
            plain.write("\n".join(lines) + "\n")

        keys = _keys(items)
        show(list(range(len(items))), not search)
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
                self.problem(f"Choose a number from 1 to {len(items)}.")
                continue
            matches = filtered(items, keys, answer)
            if not matches:
                self.problem(no_match(answer))
                continue
            show(matches, False)


# --- select: the picker -------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    title: str
    value: str
    description: str | None = None


def items_of(choices: Sequence[Choice]) -> list[Item]:
    return [Item(c[0], c[1], c[2] if len(c) > 2 else None) for c in choices]


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
        self.rows = 10  # the list's height as last drawn: what PageUp and PageDown move by

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
    def run(self, input: Any = None, output: Any = None) -> str:
        """Ask until Enter chooses (Ctrl-C raises KeyboardInterrupt, Escape with `back` raises
        Back); the value chosen."""
        from prompt_toolkit.application import Application

        bindings = self._key_bindings()
        layout = self._layout(lambda: app.output.get_size())
        app: Application[str] = Application(
            layout=layout, key_bindings=bindings, style=_picker_style(), input=input, output=output
        )
        return app.run()

    def _key_bindings(self) -> Any:
        """The picker's keys: Up and Down (or Ctrl-P and Ctrl-N), PageUp and PageDown move,
        Enter chooses, Ctrl-C interrupts, Escape goes back (with `back` only)."""
        from prompt_toolkit.key_binding import KeyBindings

        bindings = KeyBindings()

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
            self.move(-self.rows)

        @bindings.add("pagedown", eager=True)
        def _page_down(event: Any) -> None:
            self.move(self.rows)

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

        return bindings

    def _layout(self, size: Callable[[], Any]) -> Any:
        """The question line, then what has something to show: the message when nothing
        matches, the visible part of the list (sized to the terminal, `size()`) and the
        description of the choice under the cursor."""
        from prompt_toolkit.filters import Condition
        from prompt_toolkit.layout import ConditionalContainer, HSplit, Layout, Window
        from prompt_toolkit.layout.controls import FormattedTextControl

        def error_line() -> Fragments:
            return [("class:error", wrap(self.problem(), size().columns))]

        def listing() -> Fragments:
            self.rows = max(3, min(20, size().rows - 6))
            return self.listing(self.rows)

        answered = Condition(lambda: self.answer is not None or self.closed)
        return Layout(
            HSplit(
                [
                    self._question_line(answered),
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
                            FormattedTextControl(
                                lambda: [("class:instruction", self.description())]
                            ),
                            wrap_lines=True,
                        ),
                        filter=Condition(lambda: bool(self.description())),
                    ),
                ]
            )
        )

    def _question_line(self, answered: Any) -> Any:
        """The question, and when searching the filter typed after it (an input line until
        `answered`, then the question with its answer)."""
        from prompt_toolkit.buffer import Buffer
        from prompt_toolkit.layout import ConditionalContainer, HSplit, Window
        from prompt_toolkit.layout.controls import BufferControl, FormattedTextControl
        from prompt_toolkit.layout.processors import BeforeInput

        if not self.search:
            return Window(FormattedTextControl(self.question, show_cursor=False), height=1)
        buffer = Buffer(multiline=False, on_text_changed=lambda b: self.refilter(b.text))
        return HSplit(
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


def _picker_style() -> Any:
    """The picker's colours: the question mark, the question, the answer and the choice under
    the cursor as questionary shows them; the message when nothing matches in red."""
    from prompt_toolkit.styles import Style

    return Style.from_dict(
        {
            "qmark": "fg:#5f819d",
            "question": "bold",
            "answer": "fg:#ff9d00 bold",
            "highlighted": "fg:#ff9d00 bold",
            "instruction": "",
            "error": "fg:ansired",
        }
    )
