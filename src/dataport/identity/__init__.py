"""Organisations (tenants), their members and roles, API tokens, and authorisation."""
