"""Decoding the opaque global IDs that callers send back in arguments and inputs."""

import uuid

from strawberry import relay

from core.errors import NotFound, ValidationFailed


def decode_global_id(value: str, expected_type: str, *, field: str) -> uuid.UUID:
    """The primary key inside a global ID of `expected_type`; VALIDATION_FAILED otherwise."""
    try:
        global_id = relay.GlobalID.from_id(value)
        if global_id.type_name != expected_type:
            raise ValueError
        return uuid.UUID(global_id.node_id)
    except ValueError:
        raise ValidationFailed(f"is not the ID of a {expected_type}", field=field) from None


def encode_global_id(type_name: str, key: object) -> str:
    return str(relay.GlobalID(type_name, str(key)))


def not_found(type_name: str, field: str = "id") -> NotFound:
    return NotFound(f"no {type_name} with this ID", field=field)
