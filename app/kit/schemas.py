"""Base pydantic models for the public contract."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Schema(BaseModel):
    """Request/response base: forbid unknown fields in requests, read from ORM objects."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")


class ResponseSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True)
