"""Infrastructure shared by every layer: database, configuration, accounts, security, i18n, errors, CLI.

Nothing in here knows about products, batches or orders; the packages to the right build on it.
"""
