"""Reading the page that carries a SAML response, as a browser would post it."""

import html
import re


def posted_form(page: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of the auto-submitted form of samlidp/post_response.html."""
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)" data-saml-auto-submit>', page).group(1))
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    return action, {name: html.unescape(value) for name, value in fields.items()}
