"""Webhook delivery: the outbox's stream queues each new webhook (queue.py), the queue's handler delivers it
(delivery.py): rendered once (payloads.py), signed (signing.py), posted only to a public address (addresses.py)
pinned for the connection (transport.py). The flow and its guarantees: docs/webhooks.md."""
