"""What other parts of learnloop listen to when a narrative changes state."""

from django.dispatch import Signal

# Sent with `narrative` and `revision` (the Publication just created: its revision number, the
# version it publishes) INSIDE the transaction that marks the narrative published, so that
# receivers (e.g. the deliveries to email, Slack and Confluence) record their work in that same
# transaction: published and queued, or neither. A receiver that raises undoes the publishing.
narrative_published = Signal()
