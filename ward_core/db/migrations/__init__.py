"""Alembic migrations for ward's schema, shipped inside the package (see :mod:`ward_core.db.migrate`)."""
