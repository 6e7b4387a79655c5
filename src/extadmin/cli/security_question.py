"""security-question list: the questions a user answers (step 6 of the walkthrough)."""

from __future__ import annotations

import typer

from extadmin import render
from extadmin.cli import declares
from extadmin.cli.app import get_app
from extadmin.cli.options import ListFormat, ListFormatOpt
from extadmin.domain.catalog import SECURITY_QUESTIONS
from extadmin.errors import NotFound
from extadmin.render import Column

commands = declares()
security_question = typer.Typer(help="Security questions.")
commands.add_typer(security_question, name="security-question")


@security_question.command("list")
def question_list(ctx: typer.Context, format: ListFormatOpt = ListFormat.table) -> None:
    """The security questions, numbered (pass the number to --security-question)."""
    app = get_app(ctx)
    try:
        questions = app.store.read().security_questions
    except NotFound:  # the shipped list needs no account, unless one was named
        if app.account_option:
            raise
        questions = list(SECURITY_QUESTIONS)
    rows = [{"number": i, "question": q} for i, q in enumerate(questions, 1)]
    render.emit(rows, format.value, [Column("number", "#"), Column("question", "Question")])
