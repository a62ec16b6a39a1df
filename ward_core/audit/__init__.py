"""The audit log: append-only, every record chained to the previous one by SHA-256.

- :mod:`.chain`: the pure hash chain (canonical JSON, record hash, verification);
- :mod:`.log`: appending inside the caller's transaction, listing, verifying from the database.

Every remediation request, decision, refusal, execution and output is recorded with its actor and
time (see :mod:`ward_core.remediation`). The database refuses UPDATE and DELETE of ``audit_log``
(a trigger, see migration ``0006_remediation``); ``ward audit verify`` recomputes the chain and names
the first record that does not fit.
"""

from __future__ import annotations

from ward_core.audit.chain import GENESIS, ChainVerdict, canonical_json, verify_chain
from ward_core.audit.log import AuditEntry, append, entries, lock_audit, verify

__all__ = [
    "GENESIS",
    "AuditEntry",
    "ChainVerdict",
    "append",
    "canonical_json",
    "entries",
    "lock_audit",
    "verify",
    "verify_chain",
]
