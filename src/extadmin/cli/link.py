"""What the platform commands and verify-email share: the app's secrets (from files or the
environment, never a flag's value) and the platform's waits said while they last."""

from __future__ import annotations

import os
from pathlib import Path

from extadmin import render
from extadmin.cli.secret_input import read_secret_files
from extadmin.errors import UsageError
from extadmin.services import link
from extadmin.services.link import SECRET_ENV, AppSecrets


def app_secrets(secret_file: Path | None, jwt_file: Path | None) -> tuple[AppSecrets | None, bool]:
    """The client secret and JWT: from the files given, else from $RINGCENTRAL_CLIENT_SECRET
    and $RINGCENTRAL_JWT; never a flag's value. Kept for later runs only when both came from
    files (a value from the environment is never written anywhere)."""
    given = read_secret_files({"--client-secret-file": secret_file, "--jwt-file": jwt_file})
    env = [os.environ.get(name) or None for name in SECRET_ENV]
    secret = given["--client-secret-file"] or env[0]
    jwt = given["--jwt-file"] or env[1]
    if secret_file is None and jwt_file is None and secret is None and jwt is None:
        return None, False
    if not secret or not jwt:
        missing = "--client-secret-file" if not secret else "--jwt-file"
        raise UsageError(
            f"missing {missing} (or ${SECRET_ENV[0 if not secret else 1]}): "
            "the client secret and the JWT go together"
        )
    return AppSecrets(secret, jwt), secret_file is not None and jwt_file is not None


def env_secrets() -> AppSecrets | None:
    """The secrets from the environment, if set (else those `connect` kept are used), for the
    server $RINGCENTRAL_SERVER names (else the default) and no other."""
    secrets = app_secrets(None, None)[0]
    if secrets is not None:
        secrets.server = link.pinned_server()
    return secrets


def say_waits() -> None:
    """A wait the platform imposes (a rate limit, a 429 penalty) said on standard error while
    it lasts."""
    link.say_wait = render.message
