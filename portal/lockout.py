"""Password sign-in lockout: wrong passwords are counted per account and per client address.

The counts live in the shared cache (invitations.ratelimit), so every worker and server
locks out together. A locked account stays locked for the rest of the 15-minute window,
right password or not, as Entra's smart lockout does.
"""

from invitations import ratelimit

PERIOD_SECONDS = 15 * 60
ACCOUNT_LIMIT = 10
# A whole office can share one address: high enough for it, low enough to stop spraying passwords.
CLIENT_LIMIT = 100

ACCOUNT_LOCKED = (
    "Your account is locked because you tried to sign in too many times with an incorrect user ID or "
    "password. Wait 15 minutes, then try again. (AADSTS50053)"
)
CLIENT_LOCKED = (
    "Sign-in is blocked for now because too many attempts with an incorrect user ID or password came from "
    "your network. Wait 15 minutes, then try again. (AADSTS50053)"
)


def _limits(*, email: str, client_address: str) -> list[tuple[dict[str, object], str]]:
    return [
        ({"scope": "sign-in-account", "identifier": email, "limit": ACCOUNT_LIMIT}, ACCOUNT_LOCKED),
        ({"scope": "sign-in-client", "identifier": client_address, "limit": CLIENT_LIMIT}, CLIENT_LOCKED),
    ]


def lockout_refusal(*, email: str, client_address: str) -> str:
    """The sentence to refuse with when this account or address used up its attempts, else ""."""
    for limit, sentence in _limits(email=email, client_address=client_address):
        if ratelimit.is_exhausted(**limit, period_seconds=PERIOD_SECONDS):
            return sentence
    return ""


def record_failed_sign_in(*, email: str, client_address: str) -> None:
    for limit, _sentence in _limits(email=email, client_address=client_address):
        ratelimit.hit(**limit, period_seconds=PERIOD_SECONDS)
