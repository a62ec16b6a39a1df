"""Configuration backup: content-addressed texts (``config_blobs``), one row per change
(``config_versions``), freshness per device (``backup_status``) and the changes remediations
announce before making them (``expected_changes``).

Revision ID: 0003_config_backup
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_config_backup"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
NAME = sa.String(length=255)
DIGEST = sa.String(length=64)


def upgrade() -> None:
    op.create_table(
        "config_blobs",
        sa.Column("digest", DIGEST, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_config_blobs")),
    )
    op.create_table(
        "config_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device", NAME, nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("site", NAME, nullable=True),
        sa.Column("digest", DIGEST, nullable=False),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("collected_at", TIMESTAMP, nullable=False),
        sa.Column("changed_by", NAME, nullable=True),
        sa.Column("device_changed_at", NAME, nullable=True),
        sa.Column("change_source", sa.String(length=16), nullable=False),
        sa.Column("remediation", NAME, nullable=True),
        sa.Column("lines_added", sa.Integer(), nullable=False),
        sa.Column("lines_removed", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "change_source IN ('initial', 'remediation', 'other')",
            name=op.f("ck_config_versions_change_source"),
        ),
        sa.ForeignKeyConstraint(
            ["digest"],
            ["config_blobs.digest"],
            name=op.f("fk_config_versions_digest_config_blobs"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["previous_id"],
            ["config_versions.id"],
            name=op.f("fk_config_versions_previous_id_config_versions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_config_versions_run_id_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_config_versions")),
    )
    op.create_index(op.f("ix_config_versions_digest"), "config_versions", ["digest"])
    op.create_index(op.f("ix_config_versions_run_id"), "config_versions", ["run_id"])
    op.create_index("ix_config_versions_device_collected_at", "config_versions", ["device", "collected_at"])
    op.create_table(
        "backup_status",
        sa.Column("device", NAME, nullable=False),
        sa.Column("last_attempt_at", TIMESTAMP, nullable=True),
        sa.Column("last_success_at", TIMESTAMP, nullable=True),
        sa.Column("last_version_id", sa.Integer(), nullable=True),
        sa.Column("last_failure_at", TIMESTAMP, nullable=True),
        sa.Column("last_failure_reason", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["last_version_id"],
            ["config_versions.id"],
            name=op.f("fk_backup_status_last_version_id_config_versions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("device", name=op.f("pk_backup_status")),
    )
    op.create_index(op.f("ix_backup_status_last_success_at"), "backup_status", ["last_success_at"])
    op.create_table(
        "expected_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device", NAME, nullable=False),
        sa.Column("remediation", NAME, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("consumed_by_version_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["consumed_by_version_id"],
            ["config_versions.id"],
            name=op.f("fk_expected_changes_consumed_by_version_id_config_versions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expected_changes")),
    )
    op.create_index("ix_expected_changes_device_expires_at", "expected_changes", ["device", "expires_at"])


def downgrade() -> None:
    op.drop_table("expected_changes")
    op.drop_table("backup_status")
    op.drop_table("config_versions")
    op.drop_table("config_blobs")
