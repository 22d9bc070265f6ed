"""The alerts API (API.md): alerts and their acknowledgement, contacts master data."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from coldchain.api import Conflict
from shipments.access import has_role
from shipments.api.permissions import role_permission
from shipments.api.views import MasterDataViewSet
from shipments.choices import Role

from .. import selectors, services
from ..models import Alert, AlertStatus, Contact
from . import serializers as s

ALERT_READERS = (Role.COORDINATOR, Role.QA, Role.SPONSOR)
AlertPermission = role_permission(Role.COORDINATOR, read_roles=ALERT_READERS)
ContactPermission = role_permission(Role.COORDINATOR, Role.INTEGRATION,
                                    read_roles=(Role.COORDINATOR, Role.INTEGRATION, Role.QA))


class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Alerts of the shipments the caller may see (coordinator, qa, sponsor). Acknowledge:
    coordinators; an alert the caller may not see answers 404."""

    serializer_class = s.AlertOutput
    permission_classes = [AlertPermission]

    def get_permissions(self):
        if self.action == "acknowledge":
            # Checked in the action, after the lookup: 404 before 403 (API.md).
            return [IsAuthenticated()]
        return super().get_permissions()

    def get_queryset(self):
        user = self.request.user
        if not has_role(user, *ALERT_READERS):
            return Alert.objects.none()
        status_filter = self.request.query_params.get("status") if self.action == "list" else None
        if status_filter and status_filter not in AlertStatus.values:
            raise ValidationError({"status": f"Use one of {', '.join(AlertStatus.values)}."})
        return selectors.alerts_list(user=user, status=status_filter)

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=AlertStatus.values)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=s.AcknowledgeInput, responses=s.AlertOutput)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Acknowledge with a comment (required): stops escalation. 409 if it is not open."""
        alert = self.get_object()
        if not has_role(request.user, Role.COORDINATOR):
            return Response({"detail": "Acknowledging an alert needs the role coordinator."},
                            status=status.HTTP_403_FORBIDDEN)
        data = s.AcknowledgeInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.alert_acknowledge(alert=alert, comment=data.validated_data["comment"], via="api",
                                       user=request.user)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        except services.AlertNotOpen as exc:
            raise Conflict(str(exc)) from exc
        return Response(s.AlertOutput(self.get_queryset().get(pk=alert.pk)).data)


class ContactViewSet(MasterDataViewSet):
    """Who is told: GET, POST, PATCH (never DELETE: set ``active`` to false)."""

    queryset = Contact.objects.select_related("facility", "region")
    serializer_class = s.ContactSerializer
    permission_classes = [ContactPermission]


__all__ = ["AlertViewSet", "ContactViewSet"]
