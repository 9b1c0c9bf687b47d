"""What every part of the system shares: the kiosk, the displays, the consoles, the cockpit and the service.

Nothing here imports anything else of the project (tests/shape/test_layers.py): privacy rules, the one refusal
type, SQL dialect helpers, the wire models of events and replies, the hospital clock, the hospital file and device
settings models, passwords, English names, speech text rules, printer profiles and fonts.
"""
