"""The senders of the outbox, one per channel; each registers itself with
`delivery.sender(channel)` and marks every message it is handed (sent, retry, merged,
skipped)."""
