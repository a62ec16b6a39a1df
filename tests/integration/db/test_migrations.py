"""Migrations on both backends: upgrade from empty, match the models exactly, downgrade and redo."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from ward_core.db import Base, get_engine, require_current_schema, schema_status, upgrade
from ward_core.db.migrate import alembic_config, head_revision
from ward_core.errors import StorageError

TABLES = {
    "alembic_version",
    "alert_events",
    "alert_notifications",
    "alert_rules",
    "alerts",
    "api_tokens",
    "audit_log",
    "backup_status",
    "config_blobs",
    "config_versions",
    "credential_refs",
    "devices",
    "expected_changes",
    "group_members",
    "groups",
    "latest_samples",
    "probe_batches",
    "regions",
    "remediation_decisions",
    "remediation_executions",
    "remediation_requests",
    "rule_faults",
    "run_results",
    "runs",
    "samples",
    "silences",
    "sites",
    "topology_observations",
    "topology_overrides",
    "topology_snapshots",
}


def test_upgrade_creates_every_table(db_url: str) -> None:
    engine = get_engine(db_url)
    try:
        before = schema_status(engine)
        assert before.current is None
        assert not before.up_to_date
        after = upgrade(engine)
        assert after.current == head_revision() == after.head
        assert set(inspect(engine).get_table_names()) == TABLES
        assert upgrade(engine).current == after.current
    finally:
        engine.dispose()


def test_migrations_match_models(db_url: str) -> None:
    """The hand-reviewed migration and the models describe the same schema, type for type."""
    engine = get_engine(db_url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
        assert diff == []
    finally:
        engine.dispose()


def test_downgrade_to_base_and_upgrade_again(db_url: str) -> None:
    engine = get_engine(db_url)
    try:
        upgrade(engine)
        config = alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        assert upgrade(engine).up_to_date
    finally:
        engine.dispose()


def test_an_unmigrated_database_is_refused_with_the_fix(db_url: str) -> None:
    engine = get_engine(db_url)
    try:
        with pytest.raises(StorageError, match=r"is empty, ward needs revision .*: run `ward db upgrade`"):
            require_current_schema(engine)
        upgrade(engine)
        require_current_schema(engine)
    finally:
        engine.dispose()


def test_checking_a_missing_sqlite_file_does_not_create_it(sqlite_url: str, tmp_path: Path) -> None:
    engine = get_engine(sqlite_url)
    try:
        assert schema_status(engine).current is None
        assert list(tmp_path.iterdir()) == []
    finally:
        engine.dispose()


def test_an_unreachable_server_is_a_storage_error_without_the_password() -> None:
    engine = get_engine("postgresql://nobody:s3cret@127.0.0.1:1/none")
    try:
        with pytest.raises(
            StorageError, match=r"schema revision of postgresql\+psycopg://nobody:\*\*\*@"
        ) as caught:
            schema_status(engine)
        assert "s3cret" not in str(caught.value)
    finally:
        engine.dispose()
