"""The declarative base every ward table derives from.

The naming convention gives every index and constraint a predictable name, so that Alembic
migrations can refer to them on PostgreSQL and SQLite alike (SQLite batch migrations need names).
"""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of ward's ORM models; ``Base.metadata`` is what migrations compare against."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
