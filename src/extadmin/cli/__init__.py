"""The command line. Thin Typer commands: parse, call a service, render. Only typer and the
standard library are imported at module level (start-up time)."""

from __future__ import annotations

import gc
import importlib
import os
import re
import signal
import sys
from collections.abc import Iterator, MutableMapping
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
import typer.core

from extadmin import __version__
from extadmin.cli.app import App
from extadmin.errors import Cancelled, ExitCode, ExtadminError

if TYPE_CHECKING:
    from typer import _click as click

# Every top-level name: the module of cli/ that declares it, and the first sentence of its help.
# A command imports only its own module (and so only its services); the root's --help lists
# these lines without importing any (tests/test_commands.py holds each to the command's own).
COMMANDS: dict[str, tuple[str, str]] = {
    "init": (
        "account",
        "Create an account file with the predefined roles and a main site; register it and "
        "make it the current account.",
    ),
    "list-unassigned": (
        "extension",
        "The unassigned extensions: the ones a user can be assigned to.",
    ),
    "assign": (
        "assign",
        "Assign a user to an unassigned extension: by flags, or step by step at a terminal.",
    ),
    "activate": (
        "activate",
        "Activate a user: with the invitation token and credentials, or (set up 'later') by an "
        "administrator assigning credentials or sending the invite.",
    ),
    "verify-email": (
        "verify_email",
        "Is the address unique across every account known on this machine, and on the platform "
        "when the current account is linked to one?",
    ),
    "set-recording": (
        "recording",
        "Automatic call recording for assigned users (NUMBER…, --site or --all).",
    ),
    "unassign": (
        "lifecycle",
        "Remove the user from an extension: it returns to unassigned, and the user's data, "
        "credentials, recording and Engage Voice access are removed.",
    ),
    "bulk-unassign": (
        "lifecycle",
        "Offboard many users at once, all or none: each extension returns to unassigned with "
        "its line and number (or, with --release-number, leaves the account with them), and "
        "each user's data, credentials, recording and Engage Voice access are removed.",
    ),
    "disable": ("lifecycle", "Disable users (they keep their extension and settings)."),
    "enable": ("lifecycle", "Enable disabled users again."),
    "bulk-assign": (
        "bulk",
        "Assign many extensions from a CSV file: every row is checked first, and nothing is "
        "written unless every row is valid (every broken rule of every row is reported).",
    ),
    "bulk-update": (
        "bulk",
        "Change assigned users from a CSV file in `export`'s columns: the extension is the key, "
        "an empty cell leaves its field as it is (`users update NUMBER --job-title ''` clears "
        "one).",
    ),
    "export": (
        "bulk",
        "The assigned users in bulk-assign's columns (never a secret): an export is accepted by "
        "`bulk-assign` as it is.",
    ),
    "account": ("account", "Accounts known on this machine (used by verify-email)."),
    "site": ("site", "Account sites (the portal's Company Info)."),
    "role": ("role", "Account roles."),
    "profile": (
        "profile",
        "Profiles: named sets of assignment defaults (`assign --profile NAME`, a site's default "
        "profile).",
    ),
    "extension": ("extension", "Extensions: add, list, show, remove."),
    "security-question": ("security_question", "Security questions."),
    "mail": ("mail", "Welcome emails: the mail server and the outbox."),
    "recording": ("recording", "Automatic call recording."),
    "engage-voice": ("engage_voice", "Engage Voice access (import users from the account)."),
    "users": ("users", "Assigned users."),
    "platform": (
        "platform",
        "The link to a real RingCentral account: connect, pull, plan, apply, status "
        "(docs/platform.md).",
    ),
}


class Declared(MutableMapping[str, "click.Command"]):
    """The root's commands by name: a name's module is imported, and its commands built, the
    first time the name is asked for (to run it, complete it or show its help)."""

    def __init__(self) -> None:
        self.built: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self.built and name in COMMANDS:
            module = importlib.import_module(f"extadmin.cli.{COMMANDS[name][0]}")
            self.built.update(typer.main.get_group(module.commands).commands)
        return self.built[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self.built[name] = command

    def __delitem__(self, name: str) -> None:
        del self.built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS)


class Root(typer.core.TyperGroup):
    """extadmin itself: the commands of COMMANDS, each built when it is asked for."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = Declared()

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list in --help, from COMMANDS' lines (click's own layout), no module imported."""
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [
            (name, typer.core.TyperCommand(name, help=text).get_short_help_str(limit))
            for name, (_, text) in COMMANDS.items()
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def _main_shell_completion(
        self, ctx_args: MutableMapping[str, Any], prog_name: str, complete_var: str | None = None
    ) -> None:
        """A TAB (Typer's protocol): answered with each value quoted for the shell asking
        (cli/complete.py, loaded only then)."""
        if os.environ.get(complete_var or f"_{prog_name}_COMPLETE".replace("-", "_").upper()):
            from extadmin.cli.complete import shells

            shells()
        super()._main_shell_completion(ctx_args, prog_name, complete_var)


app = typer.Typer(
    name="extadmin",
    cls=Root,
    help="Provision users on a cloud phone system account: extensions, users, settings.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def declares() -> typer.Typer:
    """What a module of COMMANDS declares at the top level (its `commands`), built as the root
    builds its own."""
    return typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False)


def whole() -> Root:
    """The program with every command built (the reference docs, the tests)."""
    root = typer.main.get_command(app)
    assert isinstance(root, Root)
    for name in COMMANDS:
        root.commands[name]
    return root


# An argument's help shows its metavar (NUMBER), never its Python type (<list[str]>), as the
# options do: Typer would print both.
typer.core.TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore[method-assign]


def _version(value: bool) -> None:
    if value:
        print(f"extadmin {__version__}")
        raise typer.Exit()


# The last command's App, and with it the accounts its store read: kept until the process ends
# (`python -m extadmin` ends without freeing them, see __main__)
_command_app: App | None = None


@app.callback()
def root(
    ctx: typer.Context,
    account: Annotated[
        str | None,
        typer.Option(
            "--account",
            "-a",
            metavar="PATH",
            help="Account file (.toml or .json). Default: $EXTADMIN_ACCOUNT, else the current "
            "account (`extadmin account use`).",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    global _command_app
    ctx.obj = _command_app = App(account)


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that cleanup (temporary files, locks) runs."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def _cut_short() -> str:
    """What an interrupted command had written: nothing, or the first file (the account)."""
    from extadmin.services.accounts import written

    if not written():
        return "nothing was written"
    return f"{written()[0]} may hold part of the work: check it before running it again"


def _debug_log() -> None:
    """EXTADMIN_DEBUG=1: extadmin's own debug lines on standard error (the platform client logs
    method, path, status and rate-limit state; never a header, body or token)."""
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("extadmin: debug: %(message)s"))
    logger = logging.getLogger("extadmin")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG)


def main(argv: list[str] | None = None) -> NoReturn:
    # Python's cycle collector is paused for the command: loading a large account makes a
    # million objects and no cycle, and the collector walking them again and again as more
    # are made doubled the time of a parse (Mercurial pauses it the same way)
    gc.disable()
    try:
        code = _run(argv)
    finally:
        # what the command made goes to the oldest generation at once: resumed, the collector
        # would otherwise walk all of it as its youngest (a tenth of a second at 100,000)
        gc.freeze()
        gc.unfreeze()
        gc.enable()
    sys.exit(code)


def _usage(ctx: typer.Context) -> str:
    """`extadmin` alone: the short usage and where to start; a group alone: its help."""
    if ctx.parent is not None:
        return ctx.get_help()
    return (
        f"{ctx.get_usage()}\n\n"
        '  Start with `extadmin init acme.toml --name "Acme Corp"` and `extadmin extension add'
        " 101-120`,\n  then `extadmin list-unassigned` and `extadmin assign`.\n"
        "  Every command: `extadmin --help`; one command: `extadmin COMMAND --help`."
    )


def _run(argv: list[str] | None) -> int:
    """The command, and the one place where errors become messages and exit codes (each one
    line, through render's `safe`)."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    from extadmin.render import message, safe
    from extadmin.services.accounts import written

    written().clear()
    if os.environ.get("EXTADMIN_DEBUG"):
        _debug_log()
    try:
        command = typer.main.get_command(app)  # Ctrl-C may come here too
        result = command.main(args=argv, prog_name="extadmin", standalone_mode=False)
        code = result if isinstance(result, int) else 0
        if code == ExitCode.CANCELLED:  # typer turns Ctrl-C into a silent exit code 130
            print(f"\nextadmin: cancelled: {safe(_cut_short())}", file=sys.stderr)
    except Cancelled as exc:  # the admin's own choice: not an error
        message(f"extadmin: {exc.message}")
        code = exc.exit_code
    except ExtadminError as exc:  # a message may quote a value as it was given: made safe
        message(f"extadmin: error: {exc.message}")
        if hasattr(exc, "lines"):
            for line in exc.lines():
                message(f"  {line}")
        code = exc.exit_code
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.TyperException as exc:  # typer's (vendored click's) usage errors: exit 2
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            print(_usage(ctx))  # `extadmin` or a group alone: how to go on, not an error
            return ExitCode.OK
        where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        message(f"extadmin: error: {exc.format_message()}{where}")
        code = exc.exit_code
    except (typer.Abort, KeyboardInterrupt, EOFError):
        print(f"\nextadmin: cancelled: {safe(_cut_short())}", file=sys.stderr)
        code = ExitCode.CANCELLED
    except Terminated:
        message(f"extadmin: terminated: {_cut_short()}")
        code = ExitCode.TERMINATED
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (| head): not an error worth a message
        code = ExitCode.OK
    except OSError as exc:
        message(f"extadmin: error: {exc}")
        code = ExitCode.FAILURE
    except UnicodeEncodeError as exc:
        # an argument in another encoding than UTF-8 reaches Python as lone surrogates, which
        # no file or output can hold: refused when it is written (before any rename)
        text = str(exc.object)
        word = re.search(r"[^\s\"'=:,{}\[\]]{0,20}\Z", text[: exc.start])
        bad = (word[0] if word else "") + text[exc.start : exc.end]
        message(f"extadmin: error: {bad!r}: not UTF-8 text (pass every value in UTF-8)")
        code = ExitCode.INVALID
    except Exception as exc:  # a bug: one line, the traceback only on request
        if os.environ.get("EXTADMIN_DEBUG"):
            raise
        message(
            f"extadmin: internal error: {type(exc).__name__}: {exc} "
            "(set EXTADMIN_DEBUG=1 for the traceback)"
        )
        code = ExitCode.FAILURE
    return int(code)
