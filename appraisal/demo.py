"""The demo `make run` shows: the manufacturing pack's demo organization as `demo`, with
sign-ins like admin@demo.example (password demo12345)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Organization
from .packs import read_pack
from .packs.demo import DemoResult, existing_logins, load_demo_organization

#: Only this local demo (`make run`, the browser tests) signs in with a well-known password;
#: demos made by the pack wizard or `packs load --demo` get random ones.
DEMO_PASSWORD = "demo12345"  # noqa: S105 - printed for the demo on purpose
DEMO_SLUG = "demo"
DEMO_PACK = "manufacturing"

__all__ = ["DEMO_PASSWORD", "existing_demo_logins", "load_demo"]


def load_demo(session: Session, only_if_empty: bool = False) -> DemoResult | None:
    """Create the demo organization; None when it (or, with only_if_empty, any) exists."""
    exists = session.scalar(
        select(Organization.id).limit(1)
        if only_if_empty
        else select(Organization.id).where(Organization.slug == DEMO_SLUG)
    )
    if exists:
        return None
    return load_demo_organization(session, read_pack(DEMO_PACK), DEMO_SLUG, password=DEMO_PASSWORD)


def existing_demo_logins(session: Session) -> list[tuple[str, list[str]]]:
    return existing_logins(session, read_pack(DEMO_PACK), DEMO_SLUG)
