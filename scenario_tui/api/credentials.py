"""Who the client says it is: the credentials, and the headers every request carries.

Every credential value is registered with ``core.redact`` as the headers are made, so no error
text, log line or repr built later can show it.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from scenario_tui import __version__
from scenario_tui.core.redact import register_secret

#: what every request (API calls and part uploads alike) says the client is
USER_AGENT = f"scenario-tui/{__version__}"
#: names of custom headers that surely hold a credential: their values are secrets from 4
#: characters on, like the API secret
_CREDENTIAL_HEADER = re.compile(r"(?i)auth|token|key|secret|cookie|session|sign|pass|cred|jwt")
#: any other custom header's value is a secret too (a gateway's assertion can travel under any
#: name, ``X-Amzn-Oidc-Data`` say), from this length on: shorter ones ("true", "prod")
#: are not credentials, and masking them would mangle ordinary words and IDs in every answer
OTHER_HEADER_MIN_SECRET = 8


@dataclass(frozen=True)
class Credentials:
    """API key + secret (HTTP Basic) or a JWT (Bearer); Basic wins when both are set."""

    api_key: str | None = None
    api_secret: str | None = None
    jwt: str | None = None

    def header(self) -> str | None:
        if self.api_key and self.api_secret:
            token = base64.b64encode(f"{self.api_key}:{self.api_secret}".encode()).decode()
            return f"Basic {token}"
        if self.jwt:
            return f"Bearer {self.jwt}"
        return None

    def __repr__(self) -> str:  # never show a secret, even in a debugger or traceback
        return f"Credentials(api_key={'set' if self.api_key else None}, secret=..., jwt=...)"


def request_headers(
    credentials: Credentials | None, custom_headers: dict[str, str] | None
) -> dict[str, str]:
    """The headers of every request: Accept, User-Agent, the custom ones (a gateway's token,
    say) and Authorization; each secret among them is registered with ``scrub`` first."""
    creds = credentials or Credentials()
    auth = creds.header()
    # the header value, and its bare token too (base64 of key:secret is the credential), also
    # without its base64 padding (as some servers echo it)
    token = auth.partition(" ")[2] if auth else None
    for secret in (creds.api_secret, creds.jwt, auth, token, token.rstrip("=") if token else None):
        register_secret(secret)
    # every custom header value: whatever its name, it may be what lets the request through
    for name, value in (custom_headers or {}).items():
        if _CREDENTIAL_HEADER.search(name):
            register_secret(value)
        else:
            register_secret(value, min_length=OTHER_HEADER_MIN_SECRET)
    headers = {
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
        **(custom_headers or {}),
    }
    if auth:
        headers["Authorization"] = auth
    return headers
