"""People, communities, buildings, households and per-community roles.

A household is an address (building + room). Nothing here asks about
ownership or hukou: owners, renters and shop dwellers are all residents.
Phone numbers are private: they never appear in anything public.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    display_name = models.CharField(_("name"), max_length=60, blank=True)
    # E.164 (accounts.phone.phone_normalize), unique when set: the phone is how a resident logs in.
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # Set when the person typed a code sent to `phone` (login by code, sign-up); allauth's verified flag.
    phone_verified = models.BooleanField(_("phone verified"), default=False)
    preferred_language = models.CharField(_("language"), max_length=10, blank=True)
    # The few notices that need action also go by SMS (accounts.notifications: kinds registered with sms=True).
    sms_notices = models.BooleanField(_("notices by SMS"), default=True)

    class Meta(AbstractUser.Meta):
        constraints = [
            models.UniqueConstraint(fields=["phone"], condition=~Q(phone=""), name="user_unique_phone"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def reachable_by_sms(self) -> bool:
        """Only a phone its owner proved by typing a code gets SMS: a number typed by someone else (the admin, an
        import) could belong to a stranger, and a notice may carry a pickup code."""
        return bool(self.phone and self.phone_verified)

    def save(self, *args, **kwargs):
        # set_password() leaves the new password in _password until saved. Sessions die with the old
        # password by themselves (their hash includes it); API tokens must be deleted. Here, so every way
        # a password changes (the page, a reset, the admin, `changepassword`) does it.
        password_changed = self._password is not None and self.pk is not None
        super().save(*args, **kwargs)
        if password_changed:
            # Not at the top: knox's models reference the user model defined in this module (circular).
            from knox.models import AuthToken

            AuthToken.objects.filter(user=self).delete()


class Community(models.Model):
    name = models.CharField(_("name"), max_length=100)
    district = models.CharField(_("district"), max_length=60, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        constraints = [models.UniqueConstraint(fields=["name", "district"], name="community_unique_name")]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="buildings")
    label = models.CharField(_("building"), max_length=20)
    # Numeric labels sort as numbers ("2" before "10"); other labels after them.
    sort_key = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["community_id", "sort_key", "label"]
        constraints = [models.UniqueConstraint(fields=["community", "label"], name="building_unique_label")]

    def __str__(self) -> str:
        return self.label

    def save(self, *args, **kwargs):
        self.sort_key = int(self.label) if self.label.isdigit() else 100000
        super().save(*args, **kwargs)


class Household(models.Model):
    """An address: building + room, e.g. `12-301`."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="households")
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="households")
    room = models.CharField(_("room"), max_length=20)
    # On the committee's list of vulnerable households (elderly alone, sick, ...):
    # donated portions go to these.
    is_vulnerable = models.BooleanField(_("vulnerable household"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["building__sort_key", "building__label", "room"]
        constraints = [models.UniqueConstraint(fields=["building", "room"], name="household_unique_room")]
        indexes = [models.Index(fields=["community", "building"])]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.building.label}-{self.room}"


class HouseholdMember(models.Model):
    """A person living in a household, with or without an account (elderly without phones)."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("name"), max_length=60)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    user = models.OneToOneField(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="household_member")
    note = models.CharField(_("note"), max_length=200, blank=True, help_text=_("e.g. leave at the door"))
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("household member")
        verbose_name_plural = _("household members")

    def __str__(self) -> str:
        return f"{self.household} {self.name}"


class VolunteerGroup(models.TextChoices):
    NONE = "", _("none")
    PROCUREMENT = "procurement", _("procurement (采购组)")
    DATA = "data", _("data and payments (资料统计组)")
    RECEIVING = "receiving", _("receiving and delivery (接货分发组)")


class Membership(models.Model):
    """A user's place in one community, with the roles they hold there."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="memberships")
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="memberships"
    )
    is_active = models.BooleanField(default=True)
    is_resident = models.BooleanField(_("resident"), default=True)
    is_team_leader = models.BooleanField(_("team leader (团长)"), default=False)
    is_building_leader = models.BooleanField(_("building leader (楼团长)"), default=False)
    led_building = models.ForeignKey(
        Building, null=True, blank=True, on_delete=models.SET_NULL, related_name="building_leaders"
    )
    volunteer_group = models.CharField(
        _("volunteer group"), max_length=20, choices=VolunteerGroup.choices, blank=True, default=""
    )
    is_committee = models.BooleanField(_("committee staff (居委)"), default=False)
    is_gate_guard = models.BooleanField(_("gate guard (门卫)"), default=False)
    # The proxy role: this member may place entries for households of these buildings (and only these).
    # Empty means no proxy right; accounts.permissions.proxy_scope is the one place that reads it.
    proxy_buildings = models.ManyToManyField(
        Building, blank=True, related_name="proxy_members", verbose_name=_("orders for households of")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "community"], name="membership_unique_user_community"),
            models.CheckConstraint(
                condition=Q(is_building_leader=False) | Q(led_building__isnull=False),
                name="membership_building_leader_has_building",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.community}"

    @property
    def is_volunteer(self) -> bool:
        return bool(self.volunteer_group)


class SmsState(models.TextChoices):
    """A notice's SMS: none (in-app only), due (waiting for the task or the sweep), sending (claimed by one
    task), sent, or failed (gave up after accounts.notifications.SMS_MAX_TRIES)."""

    NONE = "", _("in-app only")
    DUE = "due", _("SMS due")
    SENDING = "sending", _("SMS sending")
    SENT = "sent", _("SMS sent")
    FAILED = "failed", _("SMS failed")


class Notification(models.Model):
    """An in-app notice for one user. `dedupe_key` makes each notice exist once,
    however many times the task that sends it runs."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    community = models.ForeignKey(Community, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)
    # Stored already translated into the user's language at the time of sending is
    # brittle; we store the message key and parameters and render at display time.
    params = models.JSONField(default=dict, blank=True)
    link = models.CharField(max_length=200, blank=True)
    dedupe_key = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # The SMS copy (only for kinds registered with sms=True, to users with a phone who keep SMS on): marked due
    # in the INSERT that creates the notice, claimed by one task with a conditional UPDATE, repaired by the sweep.
    sms_state = models.CharField(max_length=8, choices=SmsState.choices, blank=True, default=SmsState.NONE)
    sms_tries = models.PositiveSmallIntegerField(default=0)
    # When it became due (or due again after a failure), or when a task claimed it (sending).
    sms_due_at = models.DateTimeField(null=True, blank=True)
    sms_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "dedupe_key"], name="notification_once")]
        indexes = [
            models.Index(fields=["user", "read_at"]),
            # The sweep's query: the few rows waiting for (or stuck in) sending, never the whole table.
            models.Index(
                fields=["sms_due_at"],
                name="notification_sms_pending",
                condition=Q(sms_state__in=["due", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} -> {self.user_id}"


class InviteCode(models.Model):
    """A single-use code that binds one new account to one household.

    Only a keyed hash of the code is stored: the printed sheet is the one place the
    code exists in clear, so a database leak gives nobody a way into a household.
    """

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="invite_codes")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="invite_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    used_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("invite code")
        verbose_name_plural = _("invite codes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["community", "household"])]
        constraints = [
            # A used code always records when; one without a user can exist only if the user was deleted.
            models.CheckConstraint(
                condition=Q(used_by__isnull=True) | Q(used_at__isnull=False), name="invite_used_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"invite {self.pk} for {self.household_id}"


class JoinRequestStatus(models.TextChoices):
    PENDING = "pending", _("waiting for approval")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class JoinRequest(models.Model):
    """A person asking to join a community as a resident of building + room, without an invite code."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="join_requests")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="join_requests")
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="join_requests")
    room = models.CharField(_("room"), max_length=20)
    name = models.CharField(_("name"), max_length=60)
    message = models.CharField(_("message"), max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=JoinRequestStatus.choices, default=JoinRequestStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("join request")
        verbose_name_plural = _("join requests")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["community", "status"])]
        constraints = [
            # A phone that sends the form twice makes one pending request, not two.
            models.UniqueConstraint(
                fields=["user", "community"],
                condition=Q(status="pending"),
                name="join_request_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} -> {self.community_id} ({self.status})"

    @property
    def label(self) -> str:
        return f"{self.building.label}-{self.room}"
