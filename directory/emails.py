"""The one form email addresses and domains are stored and compared in.

A domain can be written in Unicode (`bücher.example`) or in its ASCII form
(`xn--bcher-kva.example`); both name the same mailbox, so every address is kept
lower-case with its domain in the ASCII (IDNA) form Django's validators use.
"""

import ipaddress

from django.utils.encoding import punycode

NOT_PUBLIC_DOMAIN = (
    "{email} can't be used: {domain} isn't a public internet domain, so no one outside this server "
    "could receive email there. Use an address at a domain such as fabrikam.com."
)


def canonical_domain(domain: str) -> str:
    domain = domain.strip().lower()
    try:
        return punycode(domain)
    except UnicodeError:
        # Not encodable (an empty or over-long label): left as typed for the validator to refuse.
        return domain


def canonical_email(email: str) -> str:
    """Trimmed, lower-case, the domain in its ASCII (IDNA) form."""
    local, at, domain = email.strip().rpartition("@")
    if not at:
        return email.strip().lower()
    return f"{local.lower()}@{canonical_domain(domain)}"


def has_public_domain(email: str) -> bool:
    """False for localhost, IP literals and single-label names: no one elsewhere can receive mail there.

    Anything that isn't shaped local@domain passes: the email validator refuses it with its own sentence.
    """
    local, _, domain = email.strip().lower().rpartition("@")
    domain = domain.rstrip(".")
    if not local or not domain:
        return True
    if domain.startswith("[") or "." not in domain or domain == "localhost" or domain.endswith(".localhost"):
        return False
    try:
        ipaddress.ip_address(domain)
    except ValueError:
        return True
    return False
