"""Running the system in a hospital: systemd units and notifications, device tokens, backups (see docs/operations.md)."""
