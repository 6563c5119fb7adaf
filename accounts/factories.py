"""factory_boy factories for tests and benches."""

import factory

from accounts.models import Building, Community, Household, HouseholdMember, Membership, User


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    name = factory.Sequence(lambda n: f"小区{n}")
    district = "徐汇区"
    address = factory.Sequence(lambda n: f"某路{n}号")


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    community = factory.SubFactory(CommunityFactory)
    label = factory.Sequence(lambda n: str(n + 1))


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    building = factory.SubFactory(BuildingFactory)
    community = factory.SelfAttribute("building.community")
    room = factory.Sequence(lambda n: str(101 + n))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"王{n}")
    phone = factory.Sequence(lambda n: f"+86137{n:08d}")  # E.164, as stored (accounts.phone)
    phone_verified = True  # as if its owner had logged in by code once
    password = factory.django.Password("pass-12345")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    household = factory.SubFactory(HouseholdFactory)
    community = factory.SelfAttribute("household.community")


class HouseholdMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HouseholdMember

    household = factory.SubFactory(HouseholdFactory)
    name = factory.Sequence(lambda n: f"李{n}")
