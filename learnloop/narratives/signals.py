"""What other parts of learnloop listen to when a narrative changes state."""

from django.dispatch import Signal

# Sent with `narrative` (and `revision`: the NarrativeVersion published) INSIDE the transaction
# that marks the narrative published, so that receivers (e.g. the deliveries to email, Slack and
# Confluence) record their work in that same transaction: published and queued, or neither.
narrative_published = Signal()
