"""Role checks for API views (API.md "Auth and who may do what")."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from ..access import has_role, roles_of
from ..choices import Role


class HasAnyRole(BasePermission):
    """Any signed-in user holding one of the service's roles."""

    message = "Your account has no role in this service; ask a coordinator."

    def has_permission(self, request, view) -> bool:
        return bool(roles_of(request.user))


def role_permission(*write_roles: str, read_roles: tuple[str, ...] | None = None):
    """Reads for ``read_roles`` (default: any role), writes for ``write_roles``."""

    class _RolePermission(BasePermission):
        message = f"This action needs the role {' or '.join(write_roles)}."

        def has_permission(self, request, view) -> bool:
            if request.method in SAFE_METHODS:
                return has_role(request.user, *read_roles) if read_roles else bool(roles_of(request.user))
            return has_role(request.user, *write_roles)

    return _RolePermission


MasterDataPermission = role_permission(Role.COORDINATOR, Role.INTEGRATION)
