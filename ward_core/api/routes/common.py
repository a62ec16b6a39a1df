"""What the REST routers share: the database session dependency, paging parameters, the request
body base model, and the documented example answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from pydantic import BaseModel, ConfigDict, model_validator
from sqlalchemy.orm import Session

from ward_core.api.state import api_state

PREFIX = "/api/v1"
MAX_PAGE = 10_000


def db_session(request: Request) -> Iterator[Session]:
    """A session for reading, closed after the answer is sent.

    Read-only endpoints only: FastAPI ends a yield dependency after the answer has gone out, too
    late for a commit the answer reports. Mutating endpoints open ``state.sessions()`` themselves
    and commit before they return.
    """
    with api_state(request).sessions() as session:
        yield session


Db = Annotated[Session, Depends(db_session)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page.", examples=[100])]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.", examples=[0])]


class Body(BaseModel):
    """A request body: unknown fields are refused (422 naming them), and so is a NUL character in
    any text, however deeply nested (PostgreSQL text and JSONB cannot hold one)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        where = nul_path(data)
        if where is not None:
            raise ValueError(f"{where or 'the body'}: NUL characters are not allowed")
        return data


def nul_path(value: Any, path: str = "") -> str | None:
    """The dotted path of the first text holding a NUL character in ``value``, or None.

    >>> nul_path({"params": {"a": ["x", "y" + chr(0)]}})
    'params.a[1]'
    >>> nul_path({"ok": "text"}) is None
    True
    """
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and "\x00" in key:
                return here.replace("\x00", "")
            found = nul_path(item, here)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = nul_path(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def ok(example: Any, description: str = "Success.", *, etag: bool = False) -> dict[int | str, Any]:
    """The documented 200 answer with its example (and the 304 of list endpoints)."""
    answers: dict[int | str, Any] = {
        200: {"description": description, "content": {"application/json": {"example": example}}}
    }
    if etag:
        answers[200]["headers"] = {
            "ETag": {"description": "Send it back as If-None-Match.", "schema": {"type": "string"}}
        }
        answers[304] = {"description": "Not modified: the If-None-Match ETag is still current."}
    return answers


def not_found(what: str) -> dict[int | str, Any]:
    """The documented 404."""
    return {
        404: {
            "description": f"No such {what}.",
            "content": {"application/json": {"example": {"detail": f"no {what} 7", "code": "not_found"}}},
        }
    }


def conflict(example: str) -> dict[int | str, Any]:
    """The documented 409."""
    return {
        409: {
            "description": "Refused by the object's state or by policy.",
            "content": {"application/json": {"example": {"detail": example, "code": "conflict"}}},
        }
    }


__all__ = ["MAX_PAGE", "PREFIX", "Body", "Db", "Limit", "Offset", "conflict", "db_session", "not_found", "ok"]
