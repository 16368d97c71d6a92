"""Lago's JSON of every resource, shared by the API's routes and the webhooks' payloads (which never import
`chalicelib.api`): resources.py (customers, plans, subscriptions, events, ...), invoices.py (invoices, fees,
credits), credit_notes.py."""
