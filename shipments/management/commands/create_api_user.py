"""Create or update an API user with a role and organisation; print its token on the last line."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

from shipments.access import ensure_role_groups
from shipments.choices import Role
from shipments.models import Courier, Membership, Sponsor


class Command(BaseCommand):
    help = "Create (or update) a user with a role and organisation, and print its API token on the last line."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--courier", help="Courier code (role courier).")
        parser.add_argument("--sponsor", action="append", default=[], help="Sponsor code; repeat for several.")
        parser.add_argument("--all-sponsors", action="store_true", help="Grant every sponsor.")
        parser.add_argument("--email", default="")

    @transaction.atomic
    def handle(self, *args, username, role, courier, sponsor, all_sponsors, email, **options):
        if role == Role.COURIER and not courier:
            raise CommandError("A courier user needs --courier CODE.")
        courier_obj = None
        if courier:
            courier_obj = Courier.objects.filter(code=courier).first()
            if courier_obj is None:
                raise CommandError(f"No courier with code {courier!r}.")
        sponsors = []
        for code in sponsor:
            found = Sponsor.objects.filter(code=code).first()
            if found is None:
                raise CommandError(f"No sponsor with code {code!r}.")
            sponsors.append(found)
        if role in (Role.SPONSOR,) and not sponsors:
            raise CommandError("A sponsor user needs --sponsor CODE.")
        user, created = get_user_model().objects.get_or_create(username=username, defaults={"email": email})
        if created:
            user.set_unusable_password()
            user.save()
        if role in (Role.COORDINATOR, Role.QA) and not user.is_staff:
            user.is_staff = True  # they work in the admin too
            user.save(update_fields=["is_staff"])
        groups = ensure_role_groups()
        user.groups.remove(*groups.values())
        user.groups.add(groups[role])
        membership, _ = Membership.objects.get_or_create(user=user)
        membership.courier = courier_obj
        membership.all_sponsors = all_sponsors
        membership.save()
        membership.sponsors.set(sponsors)
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(f"{'Created' if created else 'Updated'} {username} with role {role}.")
        self.stdout.write(token.key)
