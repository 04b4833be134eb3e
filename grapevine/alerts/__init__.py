"""Alerts for community managers (DESIGN.md §4): rules, an outbox, and delivery channels.

The scheduler calls two functions, each on its own interval::

    run_alert_check(store, settings, *, now) -> CheckSummary   # [alerts] every (1 h)
    deliver_pending(store, settings, *, now) -> list[DeliveryResult]  # deliver_every (1 min)

The first evaluates the rules and *stores* what fired (with a pending delivery per
channel); the second sends what is due. A crash between them loses nothing.
"""

from __future__ import annotations

from config.alerts import AlertsSettings
from grapevine.alerts.channels import DeliveryError, Transports
from grapevine.alerts.check import CheckSummary, Fired, Quiet, run_alert_check
from grapevine.alerts.deliver import DeliveryResult, deliver_pending
from grapevine.alerts.outbox import AlertRecord, DeliveryRecord, list_alerts

__all__ = [
    "AlertRecord",
    "AlertsSettings",
    "CheckSummary",
    "DeliveryError",
    "DeliveryRecord",
    "DeliveryResult",
    "Fired",
    "Quiet",
    "Transports",
    "deliver_pending",
    "list_alerts",
    "run_alert_check",
]
