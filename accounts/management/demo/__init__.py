"""Demo data in one place: `seed_demo()` seeds the people (people.py), then the group buys and pools (buys.py).

Called by `manage.py seed_demo` (and so by `make run`). Like a management command, this package is an
interface layer: it may use any app's services. Idempotent: a second run adds nothing and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.management.demo.buys import seed_groupbuy_demo
from accounts.management.demo.people import (
    DEMO_PASSWORD,
    MAIN_BUILDINGS,
    VULNERABLE,
    Seeded,
    community_seed,
    main_people,
    people_without_accounts_seed,
    rooms_for,
    small_people,
)
from accounts.models import Household

__all__ = ["DEMO_PASSWORD", "DemoSeeded", "seed_demo"]


@dataclass
class DemoSeeded:
    main: Seeded
    small: list[Seeded]


def seed_demo() -> DemoSeeded:
    """Seed every demo row: the compounds and their people, then suppliers, offers, open buys and a pool."""
    password_hash = make_password(DEMO_PASSWORD)  # hashed once: every demo account shares it
    with transaction.atomic():
        main = community_seed(
            name="T社区（演示）",
            district="徐汇区",
            address="演示路 1 号",
            buildings={str(n): rooms_for(n) for n in range(1, MAIN_BUILDINGS + 1)},
            people=main_people(),
            password_hash=password_hash,
        )
        people_without_accounts_seed(main.community)
        for building, room in VULNERABLE:
            Household.objects.filter(community=main.community, building__label=building, room=room).update(
                is_vulnerable=True
            )
        small = [
            community_seed(
                name=name,
                district=district,
                address=address,
                buildings={str(n): [f"{f}0{u}" for f in range(1, 7) for u in (1, 2)] for n in range(1, 4)},
                people=small_people(prefix),
                password_hash=password_hash,
            )
            for name, district, address, prefix in (
                ("梅园小区（演示）", "徐汇区", "演示路 9 号", "b_"),
                ("竹园小区（演示）", "徐汇区", "演示路 15 号", "c_"),
            )
        ]
    neighbours = [(s.community, s.leaders, s.residents) for s in small]
    seed_groupbuy_demo(main.community, main.leaders, main.residents, neighbours)
    return DemoSeeded(main=main, small=small)
