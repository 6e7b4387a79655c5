#!/bin/sh
# Onboard one new hire the way a CI job would: no prompts, JSON output, exit codes
# handled explicitly.
#
#   sh examples/onboard.sh ACCOUNT SITE FIRST LAST EMAIL [DEPARTMENT]
#   sh examples/onboard.sh acme.toml Boston Grace Hopper grace.hopper@acme-widgets.example
#
# Picks the first unassigned extension at SITE, checks that EMAIL is not taken,
# assigns the user with "Send invite" (a welcome email is queued), and prints the
# result of `assign --format json` on standard output. Exits with extadmin's code:
# 3 invalid value, 4 not found, 5 conflict, 6 account file unreadable or locked.
set -u

[ $# -ge 5 ] || { echo "usage: $0 ACCOUNT SITE FIRST LAST EMAIL [DEPARTMENT]" >&2; exit 2; }
account=$1 site=$2 first=$3 last=$4 email=$5 department=${6:-}

# the installed command, else the package from the current Python
if command -v extadmin >/dev/null 2>&1; then
    extadmin() { command extadmin --account "$account" "$@"; }
else
    extadmin() { python3 -m extadmin --account "$account" "$@"; }
fi

fail() { echo "onboard: $2" >&2; exit "$1"; }

# 1. The first unassigned extension at the site (an array of objects, in number order).
list=$(extadmin list-unassigned --site "$site" --format json)
rc=$?
case $rc in
    0) ;;
    4) fail 4 "no site '$site' in $account (or no account file)" ;;
    6) fail 6 "cannot read $account (malformed, newer schema, or locked)" ;;
    *) fail "$rc" "list-unassigned failed (exit $rc)" ;;
esac
ext=$(printf '%s' "$list" | python3 -c '
import json, sys
rows = json.load(sys.stdin)
print(rows[0]["extension"] if rows else "")')
[ -n "$ext" ] || fail 4 "no unassigned extension left at site '$site'"

# 2. The email must not belong to anyone in the accounts known on this machine.
extadmin verify-email "$email" --format json >/dev/null
rc=$?
case $rc in
    0) ;;                                                    # unique
    3) fail 3 "'$email' is not a valid email address" ;;
    5) fail 5 "'$email' already belongs to a user" ;;
    *) fail "$rc" "verify-email failed (exit $rc)" ;;
esac

# 3. Assign. --no-input: a missing value is an error (exit 2), never a prompt.
set -- "$ext" --setup invite --first-name "$first" --last-name "$last" --email "$email"
[ -z "$department" ] || set -- "$@" --department "$department"
extadmin assign "$@" --no-input --format json
rc=$?
case $rc in
    0) echo "onboard: assigned $first $last to extension $ext ($site); invite queued" >&2 ;;
    3) fail 3 "a value was refused (see the message above)" ;;
    4) fail 4 "extension $ext, site or role not found" ;;
    5) fail 5 "extension $ext was taken meanwhile, or the email is in use: run again" ;;
    6) fail 6 "cannot write $account (locked by another command for too long?)" ;;
    *) fail "$rc" "assign failed (exit $rc)" ;;
esac
