"""Where personal data is sealed, and how each place is named to the cipher.

The convention, for every table: a column whose name ends in ``_enc`` holds only sealed text
(:mod:`hotline.core.crypto`), opened with the associated data ``<table>.<column>:<primary
key>`` (:meth:`SealedColumn.at`). :func:`sealed_columns` finds them all in the models, so
``hotline keys rotate`` re-seals a new table's sealed columns without being told, retention
purges those of a row with a ``case_id`` when its case's words go, and an erasure clears
those of a row with a ``caller_ref``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from hotline.core.crypto import Keyring
from hotline.models import Agent, Contact

# The spool is one file per process; its lines are sealed as a whole.
SPOOL = "spool"


@dataclass(frozen=True, slots=True)
class SealedColumn:
    table: str
    column: str
    primary_key: str = "id"

    def at(self, row_id: uuid.UUID | str) -> str:
        """The associated data of this column's value in row ``row_id``."""
        return f"{self.table}.{self.column}:{row_id}"


CONTACT_BODY = SealedColumn("contacts", "body_enc")
CONTACT_ANSWERS = SealedColumn("contacts", "answers_enc")
CONTACT_CALLBACK = SealedColumn("contacts", "callback_number_enc")
AGENT_PHONE = SealedColumn("agents", "phone_enc")

SEALED_COLUMNS = (CONTACT_BODY, CONTACT_ANSWERS, CONTACT_CALLBACK, AGENT_PHONE)
SEALED_SUFFIX = "_enc"


def sealed_columns() -> list[SealedColumn]:
    """Every ``*_enc`` column of every model (tables with a one-column primary key)."""
    from hotline.models import Base

    found: list[SealedColumn] = []
    for table in Base.metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1:
            continue
        found.extend(
            SealedColumn(table.name, column.name, keys[0].name)
            for column in table.columns
            if column.name.endswith(SEALED_SUFFIX)
        )
    return found


# What the rest of the code reads and writes: plaintext in memory, sealed in the row.


def contact_body(keyring: Keyring, contact: Contact) -> str | None:
    return keyring.open_optional(contact.body_enc, CONTACT_BODY.at(contact.id))


def contact_answers(keyring: Keyring, contact: Contact) -> dict[str, Any]:
    return keyring.open_json(contact.answers_enc, CONTACT_ANSWERS.at(contact.id))


def contact_callback_number(keyring: Keyring, contact: Contact) -> str | None:
    return keyring.open_optional(contact.callback_number_enc, CONTACT_CALLBACK.at(contact.id))


def set_contact_body(keyring: Keyring, contact: Contact, text: str | None) -> None:
    contact.body_enc = keyring.seal_optional(text, CONTACT_BODY.at(contact.id))


def set_contact_answers(keyring: Keyring, contact: Contact, answers: dict[str, Any]) -> None:
    contact.answers_enc = keyring.seal_json(answers, CONTACT_ANSWERS.at(contact.id))


def set_contact_callback_number(keyring: Keyring, contact: Contact, e164: str | None) -> None:
    contact.callback_number_enc = keyring.seal_optional(e164, CONTACT_CALLBACK.at(contact.id))


def agent_phone(keyring: Keyring, agent: Agent) -> str | None:
    return keyring.open_optional(agent.phone_enc, AGENT_PHONE.at(agent.id))


def set_agent_phone(keyring: Keyring, agent: Agent, e164: str | None) -> None:
    agent.phone_enc = keyring.seal_optional(e164, AGENT_PHONE.at(agent.id))
