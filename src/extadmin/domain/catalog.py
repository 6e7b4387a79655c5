"""Fixed lists shipped with the tool: roles, locales, recording directions, security questions."""

from __future__ import annotations

PREDEFINED_ROLES: tuple[str, ...] = (
    "Super Admin",
    "Phone System Admin",
    "Billing Admin",
    "User Admin",
    "Manager",
    "Standard User",
    "Standard User (International)",
)
DEFAULT_ROLE = "Standard User (International)"

LOCALES: dict[str, str] = {
    "en-US": "English (United States)",
    "en-GB": "English (United Kingdom)",
    "en-AU": "English (Australia)",
    "en-CA": "English (Canada)",
    "fr-FR": "French (France)",
    "fr-CA": "French (Canada)",
    "de-DE": "German (Germany)",
    "es-ES": "Spanish (Spain)",
    "es-419": "Spanish (Latin America)",
    "it-IT": "Italian (Italy)",
    "nl-NL": "Dutch (Netherlands)",
    "pt-BR": "Portuguese (Brazil)",
    "pt-PT": "Portuguese (Portugal)",
    "fi-FI": "Finnish (Finland)",
    "ja-JP": "Japanese (Japan)",
    "ko-KR": "Korean (Korea)",
    "zh-CN": "Chinese (Simplified, China)",
    "zh-TW": "Chinese (Traditional, Taiwan)",
    "zh-HK": "Chinese (Traditional, Hong Kong)",
}
DEFAULT_LOCALE = "en-US"

# The platform's callDirection: Inbound / Outbound / All.
RECORDING = ("off", "inbound", "outbound", "both")
RECORDING_TITLES = {
    "off": "Off",
    "inbound": "Inbound calls",
    "outbound": "Outbound calls",
    "both": "Inbound and outbound calls",
}
RECORDING_PLATFORM = {"off": None, "inbound": "Inbound", "outbound": "Outbound", "both": "All"}

SETUP_OPTIONS: dict[str, str] = {
    "invite": "Send invite: sends the user a welcome email with an activation link",
    "credentials": "Activate by assigning credentials: password, PIN and security question; "
    "no welcome email",
    "later": "Activate later: sets up the user now, activates later; no email or notifications",
}

# Engage Voice access: the interfaces a user can use
ENGAGE_ACCESS = ("agent", "admin", "both")

STATUSES = ("unassigned", "not-activated", "enabled", "disabled", "frozen")
# a platform status: Frozen is set in the Admin Portal only (extadmin shows it, changes nothing)
PLATFORM_STATUSES = {
    "Unassigned": "unassigned",
    "NotActivated": "not-activated",
    "Enabled": "enabled",
    "Disabled": "disabled",
    "Frozen": "frozen",
}

SECURITY_QUESTIONS: tuple[str, ...] = (
    "What was the name of your first pet?",
    "What is the name of the street you grew up on?",
    "What was the make of your first car?",
    "What is your mother's maiden name?",
    "In what city were you born?",
    "What was the name of your elementary school?",
    "What is the name of your favorite childhood friend?",
    "What was your childhood nickname?",
    "In what city did your parents meet?",
    "What is the middle name of your oldest sibling?",
)

# One label per field, wherever a person reads it: the walkthrough's questions and review,
# `extension show`, and the column titles of the tables (the seed's own words); the user
# fields' own are in their declarations (domain.fields.LABELS holds both).
OTHER_LABELS = {
    "extension": "Extension",
    "setup": "Setup option",
    "password": "Password",
    "temporary_password": "Temporary password",
    "pin": "PIN",
    "security_question": "Security question",
    "security_answer": "Security answer",
    "short_extension": "Short extension number",
    "site": "Site",
    "status": "Status",
    "unique_email": "Unique email",
    "password_set": "Password set",
    "pin_set": "PIN set",
    "invite_expires_at": "Invite expires at",
    "created_at": "Created at",
    "profile": "Profile",
    "engage_voice": "Engage Voice access",
    "default_for_site": "Default for site",
}
