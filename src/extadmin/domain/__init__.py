"""Pure domain: the account document's shape and every field rule, each in one place."""
