"""Remediation behind approval gates: requests, decisions, executions, and the hash-chained audit log.

The audit log is append-only in the database itself: a trigger refuses every UPDATE and DELETE of
``audit_log`` (and, on PostgreSQL, TRUNCATE). Disabling it takes the table owner or a superuser
(``ALTER TABLE audit_log DISABLE TRIGGER ...``), and whatever is then changed still breaks the hash
chain that ``ward audit verify`` recomputes.

Revision ID: 0006_remediation
Revises: 0005_topology
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006_remediation"
down_revision: str | None = "0005_topology"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)
NAME = sa.String(length=255)
HASH = sa.String(length=64)

REFUSAL = "audit_log is append-only"

PG_FUNCTION = f"""
CREATE FUNCTION ward_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{REFUSAL}: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$
"""
PG_TRIGGERS = (
    "CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION ward_audit_log_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION ward_audit_log_append_only()",
)
SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}: UPDATE refused'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}: DELETE refused'); END",
)


def upgrade() -> None:
    op.create_table(
        "remediation_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", NAME, nullable=False),
        sa.Column("device", NAME, nullable=False),
        sa.Column("site", NAME, nullable=True),
        sa.Column("params", JSON, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=True),
        sa.Column("requested_by", NAME, nullable=False),
        sa.Column("requested_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("destructive", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("state_changed_at", TIMESTAMP, nullable=False),
        sa.Column("plan", JSON, nullable=False),
        sa.Column("plan_hash", HASH, nullable=False),
        sa.Column("plan_revision", sa.Integer(), nullable=False),
        sa.Column("evidence", JSON, nullable=False),
        sa.Column("policy", JSON, nullable=False),
        sa.Column("outcome", JSON, nullable=True),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'approved', 'rejected', 'expired', 'running', 'succeeded', 'failed')",
            name=op.f("ck_remediation_requests_state"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remediation_requests")),
    )
    op.create_index(op.f("ix_remediation_requests_device"), "remediation_requests", ["device"])
    op.create_index(op.f("ix_remediation_requests_state"), "remediation_requests", ["state"])
    op.create_index("ix_remediation_requests_site_state", "remediation_requests", ["site", "state"])
    op.create_table(
        "remediation_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("decided_by", NAME, nullable=False),
        sa.Column("decision", sa.String(length=8), nullable=False),
        sa.Column("roles", JSON, nullable=False),
        sa.Column("plan_hash", HASH, nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("decided_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "decision IN ('approve', 'reject')", name=op.f("ck_remediation_decisions_decision")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["remediation_requests.id"],
            name=op.f("fk_remediation_decisions_request_id_remediation_requests"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remediation_decisions")),
        sa.UniqueConstraint(
            "request_id",
            "decided_by",
            "plan_hash",
            name=op.f("uq_remediation_decisions_request_id_decided_by_plan_hash"),
        ),
    )
    op.create_index(op.f("ix_remediation_decisions_request_id"), "remediation_decisions", ["request_id"])
    op.create_table(
        "remediation_executions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("plan_hash", HASH, nullable=False),
        sa.Column("worker", NAME, nullable=False),
        sa.Column("message_id", NAME, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.Column("output", JSON, nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'failed')", name=op.f("ck_remediation_executions_status")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["remediation_requests.id"],
            name=op.f("fk_remediation_executions_request_id_remediation_requests"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remediation_executions")),
        sa.UniqueConstraint("request_id", name=op.f("uq_remediation_executions_request_id")),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("recorded_at", TIMESTAMP, nullable=False),
        sa.Column("actor", NAME, nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", HASH, nullable=False),
        sa.Column("hash", HASH, nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_audit_log_prev_hash")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_log_hash")),
    )
    op.create_index(op.f("ix_audit_log_kind"), "audit_log", ["kind"])
    op.create_index(op.f("ix_audit_log_request_id"), "audit_log", ["request_id"])
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(PG_FUNCTION)
        for statement in PG_TRIGGERS:
            op.execute(statement)
    elif dialect == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_log_request_id"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_kind"), table_name="audit_log")
    op.drop_table("audit_log")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION ward_audit_log_append_only()")
    op.drop_table("remediation_executions")
    op.drop_index(op.f("ix_remediation_decisions_request_id"), table_name="remediation_decisions")
    op.drop_table("remediation_decisions")
    op.drop_index("ix_remediation_requests_site_state", table_name="remediation_requests")
    op.drop_index(op.f("ix_remediation_requests_state"), table_name="remediation_requests")
    op.drop_index(op.f("ix_remediation_requests_device"), table_name="remediation_requests")
    op.drop_table("remediation_requests")
