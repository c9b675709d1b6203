"""Who is calling. Every resolver receives this through the request context.

The token format is the public contract: `sub` user id, `dept` department code, `role` role
within it, `org` organisation id, `region` region code the user works in, `exp`.
"""

import time
from dataclasses import dataclass

import jwt

from core.errors import Unauthenticated

ALGORITHM = "HS256"


@dataclass(frozen=True)
class Caller:
    user_id: str
    department: str | None = None
    role: str | None = None
    organization_id: str | None = None
    region_code: str | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.user_id == ANONYMOUS.user_id


ANONYMOUS = Caller(user_id="anonymous")
SYSTEM = Caller(user_id="system", department="platform", role="system")


def caller_from_bearer(authorization: str | None, secret: str) -> Caller:
    """The caller named by an `Authorization: Bearer <JWT>` header; anonymous without one."""
    if not authorization:
        return ANONYMOUS
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    try:
        claims = jwt.decode(
            token.strip(), secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]}
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the token has expired") from None
    except jwt.InvalidTokenError as error:
        raise Unauthenticated(f"the token is not valid: {error}") from None
    return Caller(
        user_id=str(claims["sub"]),
        department=claims.get("dept"),
        role=claims.get("role"),
        organization_id=claims.get("org"),
        region_code=claims.get("region"),
    )


def sign_token(caller: Caller, secret: str, *, expires_in_seconds: int = 8 * 3600) -> str:
    claims = {
        "sub": caller.user_id,
        "dept": caller.department,
        "role": caller.role,
        "org": caller.organization_id,
        "region": caller.region_code,
        "exp": int(time.time()) + expires_in_seconds,
    }
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, ALGORITHM)
