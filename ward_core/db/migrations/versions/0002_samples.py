"""Samples: the metric time series (``samples``), the newest value per series (``latest_samples``)
and the committed probe batches (``probe_batches``).

``samples`` has no primary key on purpose (bulk ``COPY`` without per-row checks); see
:mod:`ward_core.db.models.samples` for the index strategy.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)
METRIC = sa.String(length=255)


def upgrade() -> None:
    op.create_table(
        "samples",
        sa.Column("time", TIMESTAMP, nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("metric", METRIC, nullable=False),
        sa.Column("labels_key", sa.Text(), nullable=False),
        sa.Column("labels", JSON, nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
    )
    op.create_index("ix_samples_time_brin", "samples", ["time"], postgresql_using="brin")
    op.create_index("ix_samples_device_id_metric_time", "samples", ["device_id", "metric", "time"])
    op.create_table(
        "latest_samples",
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("metric", METRIC, nullable=False),
        sa.Column("labels_key", sa.Text(), nullable=False),
        sa.Column("labels", JSON, nullable=False),
        sa.Column("time", TIMESTAMP, nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("prev_time", TIMESTAMP, nullable=True),
        sa.Column("prev_value", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_latest_samples_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("device_id", "metric", "labels_key", name=op.f("pk_latest_samples")),
        postgresql_with={"fillfactor": 70},
    )
    op.create_table(
        "probe_batches",
        sa.Column("batch_id", sa.String(length=255), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("devices", sa.Integer(), nullable=False),
        sa.Column("committed_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_probe_batches_run_id_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_probe_batches")),
    )
    op.create_index(op.f("ix_probe_batches_committed_at"), "probe_batches", ["committed_at"])


def downgrade() -> None:
    op.drop_table("probe_batches")
    op.drop_table("latest_samples")
    op.drop_table("samples")
