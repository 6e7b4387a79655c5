#!/bin/sh
# The main job of extadmin, on a throw-away copy of the example account:
# list the unassigned extensions, then assign Grace Hopper to extension 102 with
# "Send invite" (a welcome email is queued in the outbox), then show the result.
#
#   sh examples/demo.sh
#
# Nothing in the repository is modified, and your own extadmin settings are not
# touched: the account file is copied into a fresh temporary folder, and
# XDG_CONFIG_HOME / XDG_DATA_HOME (the registry of known accounts) point there too.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/extadmin-demo.XXXXXX")
cp "$here/acme.toml" "$tmp/acme.toml"
chmod 600 "$tmp/acme.toml"
XDG_CONFIG_HOME="$tmp/config"
XDG_DATA_HOME="$tmp/data"
export XDG_CONFIG_HOME XDG_DATA_HOME
unset EXTADMIN_ACCOUNT 2>/dev/null || true

# the installed command, else the package from this checkout's Python
if command -v extadmin >/dev/null 2>&1; then
    extadmin() { command extadmin "$@"; }
else
    extadmin() { python3 -m extadmin "$@"; }
fi

step() { printf '\n$ %s\n' "$*"; }

step extadmin --account "$tmp/acme.toml" list-unassigned
extadmin --account "$tmp/acme.toml" list-unassigned

step extadmin --account "$tmp/acme.toml" assign 102 --setup invite \
    --first-name Grace --last-name Hopper \
    --email grace.hopper@acme-widgets.example --department Engineering --no-input
extadmin --account "$tmp/acme.toml" assign 102 --setup invite \
    --first-name Grace --last-name Hopper \
    --email grace.hopper@acme-widgets.example --department Engineering --no-input

step extadmin --account "$tmp/acme.toml" extension show 102
extadmin --account "$tmp/acme.toml" extension show 102

printf '\nThe account copy:   %s\n' "$tmp/acme.toml"
printf 'Its audit log:      %s\n' "$tmp/acme.audit.jsonl"
printf 'Its outbox:         %s\n' "$tmp/acme.outbox"
for message in "$tmp/acme.outbox"/*.eml; do
    if [ -e "$message" ]; then printf '  welcome email:    %s\n' "$message"; fi
done
printf 'Remove it all with: rm -r %s\n' "$tmp"
