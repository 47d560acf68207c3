"""The identity layer, lowest of the three: accounts and blocks, the outbox, notifications,
and the living profile. Nothing here imports groups or connections."""

from profiles.models.accounts import (
    Block,
    User,
    UserManager,
    block_between_exists,
    blocked_ids,
    member_suspended,
)
from profiles.models.notifications import (
    DIGEST_FREQUENCIES,
    DigestRun,
    EmailFrequency,
    EmailKind,
    EmailPreference,
    Notification,
    read_unsubscribe_token,
    unsubscribe_headers,
    unsubscribe_token,
)
from profiles.models.outbox import OutboxTask, OutgoingEmail, RetryLater
from profiles.models.profile import (
    Completeness,
    Experience,
    Profile,
    Sector,
    Skill,
    SpokenLanguage,
    avatar_path,
    linkedin_validator,
)
from profiles.models.trust import (
    FreeMailDomain,
    Report,
    normalise_vat,
    refresh_verified_domain,
    work_domain_of,
)

__all__ = [
    "DIGEST_FREQUENCIES",
    "Block",
    "DigestRun",
    "EmailFrequency",
    "EmailKind",
    "EmailPreference",
    "Completeness",
    "Experience",
    "FreeMailDomain",
    "Notification",
    "OutboxTask",
    "OutgoingEmail",
    "Profile",
    "Report",
    "RetryLater",
    "Sector",
    "Skill",
    "SpokenLanguage",
    "User",
    "UserManager",
    "avatar_path",
    "block_between_exists",
    "blocked_ids",
    "linkedin_validator",
    "member_suspended",
    "normalise_vat",
    "refresh_verified_domain",
    "work_domain_of",
    "read_unsubscribe_token",
    "unsubscribe_headers",
    "unsubscribe_token",
]
