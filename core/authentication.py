"""Authentication: a signed JWT (`Authorization: Bearer …`) or an API key (`X-API-Key: …`).

HS256 with the shared secret serves the demo and tests; production verifies RS256/ES256 tokens
against a configured public key (PEM) or a JWKS file. Every failure is UNAUTHENTICATED with a
message saying what is wrong; nothing answers without identity but the health probes.
"""

import time
from collections.abc import Callable, Mapping
from typing import Any

import jwt
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.api_keys import find_active_key
from core.errors import Unauthenticated
from core.identity import Caller
from core.settings import DEMO_JWT_SECRET, Settings

HS256 = "HS256"
ASYMMETRIC = ["RS256", "ES256"]


class TokenVerifier:
    """Verifies tokens with the configured keys; built once per process."""

    def __init__(self, settings: Settings) -> None:
        # In production a token signed with the demo secret must never pass: HS256 is accepted
        # there only with a secret that was configured.
        demo_secret = settings.jwt_secret == DEMO_JWT_SECRET
        self._secret = None if settings.production and demo_secret else settings.jwt_secret
        self._public_key: str | None = None
        self._jwks: jwt.PyJWKSet | None = None
        if settings.jwt_public_key_file is not None:
            self._public_key = settings.jwt_public_key_file.read_text(encoding="utf-8")
        if settings.jwks_file is not None:
            self._jwks = jwt.PyJWKSet.from_json(settings.jwks_file.read_text(encoding="utf-8"))

    def _key_for(self, token: str) -> tuple[Any, list[str]]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as error:
            raise Unauthenticated(f"the token is not valid: {error}") from None
        algorithm = header.get("alg")
        if algorithm == HS256 and self._secret is not None:
            return self._secret, [HS256]
        if algorithm in ASYMMETRIC:
            if self._jwks is not None:
                kid = header.get("kid")
                for key in self._jwks.keys:
                    if kid is None or key.key_id == kid:
                        return key.key, [algorithm]
                raise Unauthenticated("the token's key id is not in the configured key set")
            if self._public_key is not None:
                return self._public_key, [algorithm]
        raise Unauthenticated(f"tokens signed with {algorithm!r} are not accepted here")

    def verify(self, token: str) -> dict[str, Any]:
        key, algorithms = self._key_for(token)
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=algorithms, options={"require": ["sub", "exp"]}
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the token has expired") from None
        except jwt.PyJWTError as error:  # bad signature, claims, or a key of the wrong kind
            raise Unauthenticated(f"the token is not valid: {error}") from None
        return claims


def caller_from_claims(claims: Mapping[str, Any]) -> Caller:
    extra = claims.get("roles") or []
    if not isinstance(extra, list) or not all(
        isinstance(subject, str) and subject.count(":") == 1 for subject in extra
    ):
        raise Unauthenticated("the roles claim must be a list of 'department:role' strings")
    for name in ("dept", "role"):
        if not isinstance(claims.get(name), str) or not claims[name]:
            raise Unauthenticated(f"the token has no {name!r} claim")
    for name in ("org", "region"):
        if claims.get(name) is not None and not isinstance(claims[name], str):
            raise Unauthenticated(f"the token's {name!r} claim must be a string")
    return Caller(
        user_id=str(claims["sub"]),
        department=claims["dept"],
        role=claims["role"],
        organization_id=claims.get("org"),
        region_code=claims.get("region"),
        extra_roles=tuple(extra),
    )


class Authenticator:
    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        known_subject: Callable[[str], bool],
    ) -> None:
        self._verifier = TokenVerifier(settings)
        self._sessions = sessions
        self._known_subject = known_subject

    async def authenticate(self, headers: Mapping[str, str]) -> Caller:
        api_key = headers.get("x-api-key")
        authorization = headers.get("authorization")
        if api_key:
            caller = await self._from_api_key(api_key.strip())
        elif authorization:
            scheme, _, credentials = authorization.partition(" ")
            if scheme.lower() == "apikey" and credentials.strip():
                caller = await self._from_api_key(credentials.strip())
            elif scheme.lower() == "bearer" and credentials.strip():
                caller = caller_from_claims(self._verifier.verify(credentials.strip()))
            else:
                raise Unauthenticated(
                    "the Authorization header must be 'Bearer <token>' or 'ApiKey <key>'"
                )
        else:
            raise Unauthenticated(
                "sign in: send 'Authorization: Bearer <token>' or 'X-API-Key: <key>'"
            )
        unknown = [subject for subject in caller.subjects if not self._known_subject(subject)]
        if unknown:
            raise Unauthenticated(f"unknown role(s): {', '.join(unknown)}")
        return caller

    async def _from_api_key(self, key: str) -> Caller:
        async with self._sessions() as session:
            record = await find_active_key(session, key)
        if record is None:
            raise Unauthenticated("the API key is not valid or has been revoked")
        return Caller(
            user_id=f"apikey:{record.name}",
            department=record.department,
            role=record.role,
            organization_id=str(record.organization_id) if record.organization_id else None,
            region_code=record.region_code,
            via="api_key",
        )


def sign_token(
    caller: Caller,
    secret: str,
    *,
    expires_in_seconds: int = 8 * 3600,
    roles: list[str] | None = None,
) -> str:
    """An HS256 token for the demo and tests (`caregraph token`)."""
    claims: dict[str, Any] = {
        "sub": caller.user_id,
        "dept": caller.department,
        "role": caller.role,
        "org": caller.organization_id,
        "region": caller.region_code,
        "exp": int(time.time()) + expires_in_seconds,
    }
    if roles or caller.extra_roles:
        claims["roles"] = list(roles or caller.extra_roles)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, HS256)
