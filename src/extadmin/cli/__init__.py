"""The command line. Thin Typer commands: parse, call a service, render. Only typer and the
standard library are imported at module level (start-up time)."""

from __future__ import annotations

import gc
import os
import signal
import sys
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
import typer.core

from extadmin import __version__
from extadmin.cli.app import App
from extadmin.errors import Cancelled, ExitCode, ExtadminError

if TYPE_CHECKING:
    from typer import _click as click

app = typer.Typer(
    name="extadmin",
    help="Provision users on a cloud phone system account: extensions, users, settings.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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


from extadmin.cli import accounts, assign, bulk, extensions, mail, platform, users  # noqa: E402

accounts.register(app)
extensions.register(app)
assign.register(app)
mail.register(app)
users.register(app)
bulk.register(app)
platform.register(app)


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


def _built(args: list[str]) -> click.Command:
    """The command line as click runs it. Typer builds each command's options from its
    function's signature, some 70 ms for all of them: only the one named in `args` is built
    (its group whole), as the whole program would run it. The whole program for anything else:
    no command, `--help`, a name that is not a command (its error suggests the others), shell
    completion."""
    name = _command_name(args)
    commands, groups = app.registered_commands, app.registered_groups
    if name is not None and f"_{app.info.name or ''}_COMPLETE".upper() not in os.environ:
        only_commands = [c for c in commands if _name_of(c) == name]
        only_groups = [g for g in groups if g.name == name]
        if only_commands or only_groups:
            app.registered_commands, app.registered_groups = only_commands, only_groups
    try:
        return typer.main.get_command(app)
    finally:
        app.registered_commands, app.registered_groups = commands, groups


def _command_name(args: list[str]) -> str | None:
    """The command `args` name after the program's own options (--account PATH), if any."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("--account", "-a"):
            i += 2
        elif arg.startswith("--account=") or (arg.startswith("-a") and len(arg) > 2):
            i += 1
        elif arg.startswith("-"):  # --help, --version, completion: the whole program
            return None
        else:
            return arg
    return None


def _name_of(info: typer.models.CommandInfo) -> str:
    return info.name or typer.main.get_command_name(info.callback.__name__ if info.callback else "")


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
        command = _built(sys.argv[1:] if argv is None else argv)  # Ctrl-C may come here too
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
        import re

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
