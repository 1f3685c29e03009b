"""An account's people as the store holds them: its live contacts with their scores, most engaged first.

One read shared by the account owner's task (who to name), `explain --account` (who contributes) and the demo.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from connector.store.tables import AccountContact, Contact, ContactScore


@dataclass(frozen=True)
class Member:
    """One contact of an account: how it belongs (`matched_by`, primary or not) and its scores (None: not scored)."""

    contact: Contact
    score: ContactScore | None
    is_primary: bool
    matched_by: str

    @property
    def engaged(self) -> bool:
        return bool(self.score and self.score.engaged)

    @property
    def engagement(self) -> float:
        return self.score.engagement if self.score else 0.0


def account_members(session: Session, account_id: int) -> list[Member]:
    """The account's live (not deleted, not merged) contacts: engaged first, then by engagement, then store id."""
    rows = session.execute(
        select(Contact, ContactScore, AccountContact.is_primary, AccountContact.matched_by)
        .join(AccountContact, AccountContact.contact_id == Contact.id)
        .outerjoin(ContactScore, ContactScore.contact_id == Contact.id)
        .where(AccountContact.account_id == account_id)
        .where(Contact.deleted.is_(False), Contact.merged_into_id.is_(None))
    ).all()
    members = [Member(contact, score, bool(primary), matched_by) for contact, score, primary, matched_by in rows]
    return sorted(members, key=lambda member: (not member.engaged, -member.engagement, member.contact.id))


def person_name(contact: Contact) -> str:
    """`Sarah Lee`; the e-mail address or CRM id when the CRM holds no name."""
    full = " ".join(part for part in (contact.first_name, contact.last_name) if part)
    return full or contact.email or contact.crm_id
