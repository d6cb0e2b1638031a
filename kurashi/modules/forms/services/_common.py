"""Helpers every service area shares: checksums, validation errors, the applicant's messages."""

import hashlib
import json
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from pydantic import ValidationError as SchemaError


def checksum(definition: Any, settings: Any) -> str:
    canonical = json.dumps(
        {"definition": definition, "settings": settings},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(24)


def schema_error(error: SchemaError) -> ValidationError:
    """A pydantic error as a Django ValidationError, one message per problem with its place."""
    messages = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"])
        text = str(problem["msg"]).removeprefix("Value error, ")
        messages.append(f"{where}: {text}" if where else text)
    return ValidationError(messages)
