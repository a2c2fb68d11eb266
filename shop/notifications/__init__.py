"""Notifications: an outbox table read as each user's inbox, and e-mail when SMTP is configured."""
