"""Demo people: communities, buildings, households and accounts at the real scale of one compound
(78 buildings, ~1,700 households) plus two small neighbouring compounds for pooling demos.

Idempotent: every row is keyed on a natural unique key (names, building + room, username) and inserted with
bulk_create(ignore_conflicts=True), so a second run adds nothing and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accounts.models import Building, Community, Household, HouseholdMember, Membership, User

# DEMO ONLY: one shared password for every demo account, printed at the end. Never use on a real server.
DEMO_PASSWORD = "jielong-demo-2022"

MAIN_BUILDINGS = 78
FLOORS = 6
ACCOUNT_FREE = [  # (building, room, name, note): elderly without phones, added by their building leader
    ("1", "101", "陈阿婆", "独居，放门口 leave at the door"),
    ("1", "302", "周老伯", "耳背，请敲门 knock loudly"),
    ("2", "201", "吴奶奶", "放门口 leave at the door"),
    ("3", "602", "郑爷爷", ""),
    ("4", "103", "孙阿姨", "电话联系女儿 call her daughter"),
    ("5", "401", "冯老师", ""),
    ("6", "202", "何阿婆", "放门口 leave at the door"),
    ("7", "501", "许老伯", ""),
    ("8", "104", "曹奶奶", "行动不便 limited mobility"),
    ("9", "301", "蒋爷爷", ""),
]
VULNERABLE = [("1", "101"), ("1", "302"), ("2", "201"), ("4", "103"), ("6", "202"), ("8", "104"), ("12", "601")]
SURNAMES = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林罗高"
GIVEN = ["小明", "建国", "秀英", "丽华", "志强", "海燕", "伟", "芳", "静", "磊"]


def rooms_for(building_number: int) -> list[str]:
    """Six floors of 4 flats (every third building has 3): 101..604 -> 1,716 households over 78 buildings."""
    units = 3 if building_number % 3 == 0 else 4
    return [f"{floor}{unit:02d}" for floor in range(1, FLOORS + 1) for unit in range(1, units + 1)]


def demo_phone(i: int) -> str:
    """Demo phone number i: 139 0000 00ii (resident01 has 13900000001; leader01 13900000101)."""
    return f"+86139{i:08d}"


def person_name(i: int) -> str:
    return SURNAMES[i % len(SURNAMES)] + GIVEN[(i // len(SURNAMES)) % len(GIVEN)]


@dataclass
class Seeded:
    community: Community
    logins: list[tuple[str, str]] = field(default_factory=list)  # (username, what they can do)
    leaders: list[Membership] = field(default_factory=list)
    residents: list[Membership] = field(default_factory=list)


@dataclass
class Person:
    username: str
    display_name: str
    building: str | None
    room: str | None
    roles: dict
    what: str
    phone: str = ""  # E.164; demo numbers (139 0000 00xx) log in by code, printed by the console SMS backend


def community_seed(
    *, name: str, district: str, address: str, buildings: dict[str, list[str]], people: list[Person], password_hash: str
) -> Seeded:
    community, _created = Community.objects.get_or_create(name=name, district=district, defaults={"address": address})
    Building.objects.bulk_create(
        [
            Building(community=community, label=label, sort_key=int(label) if label.isdigit() else 100000)
            for label in buildings
        ],
        ignore_conflicts=True,
    )
    by_label = {b.label: b for b in Building.objects.filter(community=community)}
    Household.objects.bulk_create(
        [
            Household(community=community, building=by_label[label], room=room)
            for label, rooms in buildings.items()
            for room in rooms
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    households = {
        (h.building.label, h.room): h for h in Household.objects.filter(community=community).select_related("building")
    }
    User.objects.bulk_create(
        [
            User(
                username=p.username,
                display_name=p.display_name,
                password=password_hash,
                phone=p.phone,
                phone_verified=bool(p.phone),
            )
            for p in people
        ],
        ignore_conflicts=True,
    )
    for p in people:  # accounts seeded before phones existed get theirs (only where none is set)
        if p.phone:
            User.objects.filter(username=p.username, phone="").exclude(
                pk__in=User.objects.filter(phone=p.phone).values("pk")
            ).update(phone=p.phone, phone_verified=True)
    users = {u.username: u for u in User.objects.filter(username__in=[p.username for p in people])}
    Membership.objects.bulk_create(
        [
            Membership(
                user=users[p.username],
                community=community,
                household=households[(p.building, p.room)] if p.room else None,
                is_resident=bool(p.room),
                led_building=by_label[p.roles["led_building"]] if p.roles.get("led_building") else None,
                **{k: v for k, v in p.roles.items() if k not in ("led_building", "proxy_buildings")},
            )
            for p in people
        ],
        ignore_conflicts=True,
    )
    HouseholdMember.objects.bulk_create(
        [
            HouseholdMember(household=households[(p.building, p.room)], name=p.display_name, user=users[p.username])
            for p in people
            if p.room
        ],
        ignore_conflicts=True,  # one person row per account (unique user)
    )
    seeded = Seeded(community=community)
    memberships = {
        m.user.username: m
        for m in Membership.objects.filter(community=community).select_related("user", "household__building")
    }
    for p in people:
        if p.roles.get("proxy_buildings"):  # the proxy role names the buildings it orders for
            memberships[p.username].proxy_buildings.set([by_label[label] for label in p.roles["proxy_buildings"]])
    for p in people:
        seeded.logins.append((p.username, p.what))
        m = memberships[p.username]
        if m.is_team_leader:
            seeded.leaders.append(m)
        elif m.household_id and not (m.volunteer_group or m.is_committee or m.is_building_leader):
            seeded.residents.append(m)
    return seeded


def main_people() -> list[Person]:
    people = [
        Person("committee", "居委 刘书记", None, None, {"is_committee": True}, "committee staff (居委)"),
        Person("committee2", "居委 张主任", None, None, {"is_committee": True}, "committee staff (居委)"),
        Person("guard", "门卫 老马", None, None, {"is_gate_guard": True}, "gate guard (门卫)"),
        Person("data1", "数据 小林", "20", "101", {"volunteer_group": "data"}, "data volunteer"),
        Person("data2", "数据 小郭", "21", "102", {"volunteer_group": "data"}, "data volunteer"),
        Person(
            "receiving1",
            "接货 大罗",
            "22",
            "201",
            {"volunteer_group": "receiving", "proxy_buildings": ["22", "41", "42"]},
            "receiving volunteer; orders for neighbours in buildings 22, 41 and 42",
        ),
        Person("receiving2", "接货 小何", "23", "202", {"volunteer_group": "receiving"}, "receiving volunteer"),
        Person("procure1", "采购 小高", "24", "301", {"volunteer_group": "procurement"}, "procurement volunteer"),
    ]
    for i in range(1, 11):
        building = str(30 + i)
        people.append(
            Person(
                f"leader{i:02d}",
                f"团长 {person_name(i)}",
                building,
                "501",
                {"is_team_leader": True},
                "team leader",
                phone=demo_phone(100 + i),
            )
        )
    for i in range(1, 13):
        label = str(i)
        people.append(
            Person(
                f"bleader{i:02d}",
                f"楼长 {person_name(100 + i)}",
                label,
                "601" if i % 3 else "502",
                {"is_building_leader": True, "led_building": label},
                f"building leader of building {label}",
            )
        )
    for i in range(1, 51):
        building = str(40 + (i % 38) + 1)  # buildings 41..78
        room = rooms_for(int(building))[i % 12]
        people.append(
            Person(f"resident{i:02d}", person_name(200 + i), building, room, {}, "resident", phone=demo_phone(i))
        )
    return people


def small_people(prefix: str) -> list[Person]:
    return [
        Person(f"{prefix}committee", f"{prefix} 居委", None, None, {"is_committee": True}, "committee staff"),
        Person(f"{prefix}guard", f"{prefix} 门卫", None, None, {"is_gate_guard": True}, "gate guard"),
        Person(f"{prefix}leader", f"{prefix} 团长", "1", "101", {"is_team_leader": True}, "team leader"),
        Person(f"{prefix}receiving", f"{prefix} 接货", "1", "102", {"volunteer_group": "receiving"}, "receiving"),
        *[
            Person(f"{prefix}resident{i}", person_name(300 + i), str(1 + i % 3), f"{2 + i // 3}01", {}, "resident")
            for i in range(6)
        ],
    ]


def people_without_accounts_seed(community: Community) -> None:
    """The elderly neighbours without a phone, added by their building leader (ACCOUNT_FREE)."""
    leaders = {
        m.led_building.label: m.user
        for m in Membership.objects.filter(community=community, is_building_leader=True).select_related(
            "led_building", "user"
        )
    }
    households = {
        (h.building.label, h.room): h
        for h in Household.objects.filter(
            community=community, building__label__in={b for b, *_rest in ACCOUNT_FREE}
        ).select_related("building")
    }
    existing = set(
        HouseholdMember.objects.filter(household__community=community, user__isnull=True).values_list(
            "household_id", "name"
        )
    )
    rows = []
    for building, room, name, note in ACCOUNT_FREE:
        household = households[(building, room)]
        if (household.pk, name) not in existing:
            rows.append(HouseholdMember(household=household, name=name, note=note, created_by=leaders.get(building)))
    HouseholdMember.objects.bulk_create(rows)
