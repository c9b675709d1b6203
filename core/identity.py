"""Who is calling. Every resolver receives this through the request context.

The token claims are the public contract: `sub` user id, `dept` department code, `role` role
within it, `org` organisation id, `region` region code the user works in, `exp`, and optionally
`roles`, further `department:role` subjects the same person holds (a village child director who
is also a women's-federation volunteer).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    user_id: str
    department: str | None = None
    role: str | None = None
    organization_id: str | None = None
    region_code: str | None = None
    extra_roles: tuple[str, ...] = ()
    via: str = "token"

    @property
    def subjects(self) -> tuple[str, ...]:
        """Every `department:role` the caller acts as: the primary one first."""
        primary = (f"{self.department}:{self.role}",) if self.department and self.role else ()
        return tuple(dict.fromkeys((*primary, *self.extra_roles)))


SYSTEM = Caller(user_id="system", department="platform", role="system", via="system")
