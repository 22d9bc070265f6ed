"""Who may see and do what (API.md "Auth and who may do what").

Roles are Django groups; organisation comes from the user's Membership. A resource the caller
may not see is filtered out of querysets (so it answers 404); an action it may not take answers
403."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db.models import Q, QuerySet

from .choices import Role
from .models import Membership, Shipment, Sponsor


def roles_of(user) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_coldchain_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True)) & set(Role.values)
        if user.is_superuser:
            cached |= {Role.COORDINATOR}
        user._coldchain_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def membership_of(user) -> Membership | None:
    try:
        return user.membership
    except Membership.DoesNotExist:
        return None


def sponsor_scope(user) -> QuerySet[Sponsor] | None:
    """The sponsors a user acts for; None means every sponsor."""
    if user.is_superuser:
        return None
    membership = membership_of(user)
    if membership is None:
        return Sponsor.objects.none()
    if membership.all_sponsors:
        return None
    return membership.sponsors.all()


def shipments_visible_to(user, queryset: QuerySet[Shipment] | None = None) -> QuerySet[Shipment]:
    """Shipments the user may see: couriers those they carry; sponsors, coordinators, QA and
    integrations those of their granted sponsors (superusers every one)."""
    qs = queryset if queryset is not None else Shipment.objects.all()
    roles = roles_of(user)
    if not roles:
        return qs.none()
    if user.is_superuser:
        return qs
    membership = membership_of(user)
    if membership is None:
        return qs.none()
    conditions = []
    if Role.COURIER in roles and membership.courier_id:
        conditions.append(Q(courier_id=membership.courier_id))
    if roles & {Role.COORDINATOR, Role.QA, Role.INTEGRATION, Role.SPONSOR}:
        scope = sponsor_scope(user)
        if scope is None:
            return qs
        conditions.append(Q(sponsor__in=scope))
    if not conditions:
        return qs.none()
    condition = conditions[0]
    for more in conditions[1:]:
        condition |= more
    return qs.filter(condition)


# Admin rights each role's group carries. Nothing is ever deleted (evidence); writes that matter
# go through services whatever the permission says.
ADMIN_APPS = ("shipments", "alerts")
STAFF_ROLES = (Role.COORDINATOR, Role.QA)


def ensure_role_groups() -> dict[str, Group]:
    """The role groups, with their admin permissions: coordinators view, add and change the
    logistics and alerting data and provision users and tokens; QA views everything (signing
    and release have their own checks)."""
    from django.contrib.auth.models import Permission

    groups = {role: Group.objects.get_or_create(name=role)[0] for role in Role.values}
    domain = Permission.objects.filter(content_type__app_label__in=ADMIN_APPS)
    coordinator = domain.exclude(codename__startswith="delete_") | Permission.objects.filter(
        content_type__app_label__in=("auth", "authtoken"), codename__regex=r"^(view|add|change)_(user|token|tokenproxy)$")
    groups[Role.COORDINATOR].permissions.set(coordinator)
    groups[Role.QA].permissions.set(domain.filter(codename__startswith="view_"))
    return groups
