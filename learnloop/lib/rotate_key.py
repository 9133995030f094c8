"""`learnloop rotate-key`: seals every stored secret again with the current encryption key, in
one transaction. Run it after setting the new key in LEARNLOOP_ENCRYPTION_KEY with the old one in
LEARNLOOP_OLD_ENCRYPTION_KEYS; afterwards the old key can be dropped."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from learnloop.lib.sealed import reseal


def sealed_fields() -> list[tuple[Any, list[str]]]:
    from learnloop.publishing.models import PublishChannel
    from learnloop.trackers.models import TrackerConnection

    return [
        (PublishChannel, ["secret_sealed"]),
        (TrackerConnection, ["token_sealed", "webhook_secret_sealed"]),
    ]


def rotate_key_command(out: Any) -> int:
    from learnloop.cli import CommandError

    count = 0
    with transaction.atomic():
        for model, fields in sealed_fields():
            for row in model.objects.select_for_update().only("pk", *fields):
                for name in fields:
                    try:
                        setattr(row, name, reseal(getattr(row, name)))
                    except ValueError as error:
                        label = f"{model._meta.verbose_name} {row.pk} ({name})"
                        raise CommandError(
                            f"{label}: {error}. Nothing was changed: put the key it was sealed "
                            "with in LEARNLOOP_OLD_ENCRYPTION_KEYS and run this again."
                        ) from error
                row.save(update_fields=fields)
                count += 1
    print(f"Sealed {count} stored secrets again with the current key.", file=out)
    return 0
