"""Delivery: subscribers, the per-edition ledger, building and sending the e-mails, unsubscribing.

    store (subscribers) ─┐
    archive → Briefing ──┼→ service.send_edition → message → smtp → ledger → DeliveryReport
    tokens (HMAC) ───────┘                       webapp / `briefing unsubscribe` ← tokens

Everything that touches the outside world (SMTP server, TLS context, clock, data folder)
is passed in, so tests point it at a local aiosmtpd server and a temporary folder.
"""

from .ledger import Delivery, Ledger
from .service import DeliveryReport, load_or_build_edition, send_edition, unsubscribe
from .store import Subscriber, SubscriberStore
from .tokens import TokenSigner

__all__ = [
    "Delivery",
    "DeliveryReport",
    "Ledger",
    "Subscriber",
    "SubscriberStore",
    "TokenSigner",
    "load_or_build_edition",
    "send_edition",
    "unsubscribe",
]
