"""Notifications to patients' phones (SMS, WeChat): planned by commands, kept in a durable outbox, sent once.

- ``model``: Message, Outgoing, Notifier, DeliveryError
- ``texts``: the Chinese texts
- ``settings``: ``[notify]`` of the hospital file
- ``plan``: which messages a command causes (pure)
- ``outbox``: the outbox and opt-in tables
- ``sender``: the thread that sends due messages (retries, backoff, rate limit, quiet hours, expiry)
- ``adapters``: SMS gateway, WeChat, and the factory from settings
- ``simulator``: an HTTP gateway that records every message and can fail or be slow (demo and tests)

docs/notifications.md describes it for the hospital's IT.
"""
