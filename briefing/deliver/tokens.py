"""Unsubscribe tokens: opaque, one per subscriber, unforgeable without ``mail.secret``.

A token is ``<subscriber id>.<MAC>`` where the MAC is HMAC-SHA256, keyed with the secret,
over the subscriber's id and address (truncated to 128 bits, base64url). Binding the address
means a token stops working if the address behind an id ever changes; ids are never reused.
Changing the secret invalidates every token already sent.

A dry run without a configured secret signs with a random throwaway key; such tokens start
with ``dry-run.`` and are refused by every verifier, so a test message can never
unsubscribe anyone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from ..config import MailConfig
from ..errors import BriefingError, ConfigError

MIN_SECRET_LENGTH = 16
MAC_BYTES = 16
EPHEMERAL_PREFIX = "dry-run."
_TOKEN = re.compile(r"^([1-9][0-9]{0,17})\.([A-Za-z0-9_-]{22})$")


class InvalidToken(BriefingError):
    """The unsubscribe token is malformed, forged, from a dry run or for a removed subscriber."""

    exit_code = 2


class TokenSigner:
    def __init__(self, key: bytes, *, ephemeral: bool = False) -> None:
        self._key = key
        self.ephemeral = ephemeral

    @classmethod
    def from_config(cls, mail: MailConfig, *, dry_run: bool = False) -> TokenSigner:
        """The signer for ``mail.secret``; without one, a throwaway signer for a dry run and a
        ConfigError otherwise (real messages must carry links that work)."""
        if mail.secret is None or not mail.secret.reveal():
            if dry_run:
                return cls(secrets.token_bytes(32), ephemeral=True)
            raise ConfigError(
                "mail.secret is not set: unsubscribe links cannot be signed. Set BRIEFING_MAIL_SECRET "
                "(or mail.secret_file) to a random string, e.g. from `python -c \"import secrets; "
                "print(secrets.token_urlsafe(32))\"`"
            )
        if len(mail.secret.reveal()) < MIN_SECRET_LENGTH:
            raise ConfigError(f"mail.secret is too short: use at least {MIN_SECRET_LENGTH} random characters")
        return cls(mail.secret.reveal().encode("utf-8"))

    def token(self, subscriber_id: int, email: str) -> str:
        token = f"{subscriber_id}.{self._mac(subscriber_id, email)}"
        return EPHEMERAL_PREFIX + token if self.ephemeral else token

    def claimed_id(self, token: str) -> int:
        """The subscriber id the token names; the caller then checks it with ``verify``."""
        if token.startswith(EPHEMERAL_PREFIX):
            raise InvalidToken("this unsubscribe link comes from a dry run and does not work")
        found = _TOKEN.match(token.strip())
        if not found:
            raise InvalidToken("malformed unsubscribe token")
        return int(found.group(1))

    def verify(self, token: str, subscriber_id: int, email: str) -> None:
        if self.ephemeral or not hmac.compare_digest(token.strip(), self.token(subscriber_id, email)):
            raise InvalidToken("invalid unsubscribe token")

    def _mac(self, subscriber_id: int, email: str) -> str:
        message = f"briefing-unsubscribe\0{subscriber_id}\0{email.lower()}".encode("utf-8")
        digest = hmac.new(self._key, message, hashlib.sha256).digest()[:MAC_BYTES]
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
