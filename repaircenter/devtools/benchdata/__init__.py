"""Benchmark data: N orders in the proportions of a chain that has worked for some years, with
their customers, equipment, events, estimates and lines, repairs and stress tests, payments,
documents, messages with their delivery records, chats and disposal acts.

Every row is what the workflow would have written for the order's path to its state, with the
same deadlines (`decision_due` and `storage_due` six months after the estimate and the first
notice that reached the customer, in the center's time zone), the reminders the sweep would
have queued up to now, a portal token and a pickup-code digest. Rows are made in Python in
chunks of orders and written in bulk: COPY on PostgreSQL (psycopg 3 `cursor.copy`),
`executemany` on SQLite, one transaction per chunk.

Documents are rows with their stored HTML and one small PDF per kind, shared by all documents of
that kind (rendering a million PDFs would take days and prove nothing about the pages).
"""

from .generator import generate
from .vocabulary import STATE_SHARES

__all__ = ["STATE_SHARES", "generate"]
