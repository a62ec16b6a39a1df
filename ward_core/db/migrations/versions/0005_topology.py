"""Topology discovery: raw observations per device (``topology_observations``), one snapshot per
discovery (``topology_snapshots``) and manual overrides (``topology_overrides``).

Revision ID: 0005_topology
Revises: 0004_alerts
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_topology"
down_revision: str | None = "0004_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)
NAME = sa.String(length=255)


def upgrade() -> None:
    op.create_table(
        "topology_observations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("device", NAME, nullable=False),
        sa.Column("transport", sa.String(length=16), nullable=False),
        sa.Column("collected_at", TIMESTAMP, nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_s", sa.Double(), nullable=False),
        sa.Column("records", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_topology_observations_run_id_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topology_observations")),
    )
    op.create_index(op.f("ix_topology_observations_run_id"), "topology_observations", ["run_id"])
    op.create_index(
        "ix_topology_observations_device_collected_at", "topology_observations", ["device", "collected_at"]
    )
    op.create_table(
        "topology_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("transport", sa.String(length=16), nullable=True),
        sa.Column("discovered_at", TIMESTAMP, nullable=False),
        sa.Column("devices", JSON, nullable=False),
        sa.Column("links", JSON, nullable=False),
        sa.Column("explanations", JSON, nullable=False),
        sa.Column("collections", JSON, nullable=False),
        sa.Column("link_count", sa.Integer(), nullable=False),
        sa.Column("one_sided", sa.Integer(), nullable=False),
        sa.Column("unmatched", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_topology_snapshots_run_id_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topology_snapshots")),
    )
    op.create_index(op.f("ix_topology_snapshots_run_id"), "topology_snapshots", ["run_id"])
    op.create_index(op.f("ix_topology_snapshots_discovered_at"), "topology_snapshots", ["discovered_at"])
    op.create_table(
        "topology_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("a_device", NAME, nullable=False),
        sa.Column("a_interface", NAME, nullable=True),
        sa.Column("b_device", NAME, nullable=True),
        sa.Column("b_interface", NAME, nullable=True),
        sa.Column("alias", NAME, nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("kind IN ('link', 'ignore', 'alias')", name=op.f("ck_topology_overrides_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topology_overrides")),
    )


def downgrade() -> None:
    op.drop_table("topology_overrides")
    op.drop_index(op.f("ix_topology_snapshots_discovered_at"), table_name="topology_snapshots")
    op.drop_index(op.f("ix_topology_snapshots_run_id"), table_name="topology_snapshots")
    op.drop_table("topology_snapshots")
    op.drop_index("ix_topology_observations_device_collected_at", table_name="topology_observations")
    op.drop_index(op.f("ix_topology_observations_run_id"), table_name="topology_observations")
    op.drop_table("topology_observations")
