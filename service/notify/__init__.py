"""Webhooks: the use cases an operator calls (webhooks.py), the signature receivers check (signing.py) and the
worker that delivers monitoring events to receivers, at least once (worker.py). The only other httpx user."""
