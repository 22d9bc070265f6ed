"""The logistics API (API.md). Views are thin: they check who may do what, then call services
and selectors."""

from __future__ import annotations

import orjson
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Exists, OuterRef, Prefetch
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError, PermissionDenied, ValidationError
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from coldchain.api import BatchInvalid, PayloadTooLarge

from .. import selectors, services
from ..access import has_role, membership_of, shipments_visible_to, sponsor_scope
from ..choices import ExcursionStatus, Role, ShipmentStatus
from ..models import (
    Courier,
    Dewar,
    Excursion,
    Facility,
    Logger,
    LoggerAssignment,
    Profile,
    Region,
    Shipment,
    Sponsor,
    Upload,
)
from . import serializers as s
from .permissions import HasAnyRole, MasterDataPermission, role_permission
from .readings import validate_batch


class MasterDataViewSet(mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
                        mixins.ListModelMixin, viewsets.GenericViewSet):
    """GET, POST, PATCH; never DELETE: master data is evidence."""

    permission_classes = [MasterDataPermission]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer):
        from ..audit import audit_record

        instance = serializer.save()
        audit_record(actor=self.request.user, action="masterdata.create", obj=instance, data=serializer.data)

    def perform_update(self, serializer):
        from ..audit import audit_record

        instance = serializer.save()
        audit_record(actor=self.request.user, action="masterdata.update", obj=instance,
                     data={k: str(v) for k, v in serializer.validated_data.items()})


class RegionViewSet(MasterDataViewSet):
    queryset = Region.objects.all()
    serializer_class = s.RegionSerializer
    lookup_field = "code"


class FacilityViewSet(MasterDataViewSet):
    queryset = Facility.objects.select_related("region")
    serializer_class = s.FacilitySerializer
    lookup_field = "code"


class SponsorViewSet(MasterDataViewSet):
    queryset = Sponsor.objects.all()  # the model, for the schema; get_queryset scopes it
    serializer_class = s.SponsorSerializer
    lookup_field = "code"

    def get_queryset(self):
        scope = sponsor_scope(self.request.user)
        if has_role(self.request.user, Role.COURIER) and not has_role(
            self.request.user, Role.COORDINATOR, Role.INTEGRATION, Role.QA, Role.SPONSOR
        ):
            return Sponsor.objects.filter(shipments__in=shipments_visible_to(self.request.user)).distinct()
        return Sponsor.objects.all() if scope is None else scope


class CourierViewSet(MasterDataViewSet):
    serializer_class = s.CourierSerializer
    lookup_field = "code"

    def get_queryset(self):
        user = self.request.user
        if has_role(user, Role.COORDINATOR, Role.INTEGRATION, Role.QA):
            return Courier.objects.all()
        if has_role(user, Role.COURIER):
            membership = membership_of(user)
            return Courier.objects.filter(pk=membership.courier_id if membership else None)
        return Courier.objects.filter(shipments__in=shipments_visible_to(user)).distinct()


class ProfileViewSet(MasterDataViewSet):
    queryset = Profile.objects.prefetch_related("rules", "versions")
    serializer_class = s.ProfileSerializer
    lookup_field = "code"


def _equipment_scope(user, model, relation: str):
    if has_role(user, Role.COORDINATOR, Role.INTEGRATION, Role.QA):
        return model.objects.all()
    visible = shipments_visible_to(user)
    return model.objects.filter(**{f"{relation}__in": visible}).distinct()


class DewarViewSet(MasterDataViewSet):
    serializer_class = s.DewarSerializer
    lookup_field = "serial"

    def get_queryset(self):
        return _equipment_scope(self.request.user, Dewar, "shipments")


class LoggerViewSet(MasterDataViewSet):
    serializer_class = s.LoggerSerializer
    lookup_field = "serial"

    def get_queryset(self):
        return _equipment_scope(self.request.user, Logger, "assignments__shipment")


# --- Shipments -------------------------------------------------------------------------------


class FileRenderer(BaseRenderer):
    """Lets a client ask for a file's own type (``Accept: application/pdf``, ``text/csv`` …);
    the view answers the file itself, so only error bodies pass through here (as JSON)."""

    def __init__(self, media_type: str):
        self.media_type = media_type
        self.format = media_type.rsplit("/", 1)[-1]

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else JSONRenderer().render(data)


FILE_MEDIA_TYPES = {"report": "application/pdf", "readings_csv": "text/csv", "readings_epcis": "application/ld+json"}


class ShipmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_field = "tracking_number"
    permission_classes = [role_permission(Role.COORDINATOR, Role.INTEGRATION, Role.QA)]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        qs = shipments_visible_to(self.request.user).select_related(
            "sponsor", "profile_version__profile", "origin", "destination", "courier", "dewar", "current_region"
        )
        if self.action == "retrieve":
            qs = qs.prefetch_related(
                Prefetch("assignments", queryset=LoggerAssignment.objects.select_related("logger")),
                "monitor_states__logger",
            )
        params = self.request.query_params
        if params.get("status"):
            qs = qs.filter(status__in=params["status"].split(","))
        if params.get("sponsor"):
            qs = qs.filter(sponsor__code=params["sponsor"])
        if params.get("destination"):
            qs = qs.filter(destination__code=params["destination"])
        if params.get("at_risk") in {"1", "true", "yes"}:
            open_excursion = Excursion.objects.filter(shipment=OuterRef("pk"), status=ExcursionStatus.OPEN)
            qs = qs.filter(Exists(open_excursion))
        return qs.order_by("-created_at")

    def get_serializer_class(self):
        return s.ShipmentDetailOutput if self.action == "retrieve" else s.ShipmentListOutput

    @extend_schema(request=s.ShipmentCreateInput, responses={201: s.ShipmentDetailOutput})
    def create(self, request):
        if not has_role(request.user, Role.COORDINATOR, Role.INTEGRATION):
            raise PermissionDenied("Creating shipments needs the coordinator or integration role.")
        data = s.ShipmentCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        scope = sponsor_scope(request.user)
        if scope is not None and not scope.filter(pk=v["sponsor"].pk).exists():
            raise ValidationError({"sponsor": f"You are not granted sponsor {v['sponsor'].code}."})
        specs = [services.LoggerSpec(logger=item["serial"], role=item["role"], assigned_at=item.get("assigned_at"),
                                     released_at=item.get("released_at")) for item in v.get("loggers", [])]
        shipment = services.shipment_create(
            user=request.user, tracking_number=v["tracking_number"], coi=v["coi"], sponsor=v["sponsor"],
            profile=v["profile"], origin=v["origin"], destination=v["destination"], courier=v["courier"],
            dewar=v.get("dewar"), loggers=specs, planned_departure=v.get("planned_departure"),
            planned_arrival=v.get("planned_arrival"), product_expires_at=v.get("product_expires_at"),
        )
        shipment = self.get_queryset().prefetch_related("assignments__logger", "monitor_states__logger").get(pk=shipment.pk)
        return Response(s.ShipmentDetailOutput(shipment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ShipmentUpdateInput, responses={200: s.ShipmentDetailOutput})
    def partial_update(self, request, tracking_number=None):
        shipment = self.get_object()
        data = s.ShipmentUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        shipment = services_shipment_update(shipment=shipment, user=request.user, **data.validated_data)
        return Response(s.ShipmentDetailOutput(self.get_queryset().get(pk=shipment.pk)).data)

    @extend_schema(
        parameters=[OpenApiParameter("since", str), OpenApiParameter("until", str), OpenApiParameter("every", int)],
        responses={200: s.ReadingItemDoc(many=True)},
    )
    @action(detail=True, methods=["get"])
    def readings(self, request, tracking_number=None):
        shipment = self.get_object()
        since = _time_param(request, "since")
        until = _time_param(request, "until")
        every = request.query_params.get("every")
        if every:
            try:
                every_s = int(every)
                assert every_s > 0
            except (ValueError, AssertionError):
                raise ValidationError({"every": "A whole number of seconds, above 0."}) from None
            items = selectors.shipment_reading_buckets(shipment, every_s=every_s, since=since, until=until)
            page = self.paginate_queryset(items)
            return self.get_paginated_response(page)
        page = self.paginate_queryset(selectors.shipment_readings(shipment, since=since, until=until))
        items = _reading_items(shipment, page)
        return self.get_paginated_response(items)

    @extend_schema(parameters=[OpenApiParameter("since", str), OpenApiParameter("until", str)],
                   responses={(200, "text/csv"): str})
    @action(detail=True, methods=["get"], url_path="readings.csv")
    def readings_csv(self, request, tracking_number=None):
        """The shipment's readings as the native CSV (every field), streamed."""
        from ..exports import readings_csv

        return self._export(request, readings_csv, "text/csv; charset=utf-8", "readings.csv")

    @extend_schema(parameters=[OpenApiParameter("since", str), OpenApiParameter("until", str)],
                   responses={(200, "application/ld+json"): dict})
    @action(detail=True, methods=["get"], url_path="readings.epcis.jsonld")
    def readings_epcis(self, request, tracking_number=None):
        """The shipment's readings as a GS1 EPCIS 2.0 JSON-LD document, streamed."""
        from ..exports import readings_epcis

        return self._export(request, readings_epcis, "application/ld+json", "epcis.jsonld")

    def _export(self, request, write, content_type: str, suffix: str) -> StreamingHttpResponse:
        shipment = self.get_object()
        response = StreamingHttpResponse(
            write(shipment, since=_time_param(request, "since"), until=_time_param(request, "until")),
            content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{shipment.tracking_number}-{suffix}"'
        return response

    @extend_schema(responses={(200, "application/pdf"): bytes})
    @action(detail=True, methods=["get"], url_path="report.pdf")
    def report(self, request, tracking_number=None):
        """The shipment temperature report (PDF), for any role that can see the shipment."""
        from ..reports import shipment_report_pdf

        shipment = self.get_object()
        response = HttpResponse(shipment_report_pdf(shipment, generated_by=request.user), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{shipment.tracking_number}-report.pdf"'
        return response

    @extend_schema(responses={200: s.ExcursionOutput(many=True)})
    @action(detail=True, methods=["get"])
    def excursions(self, request, tracking_number=None):
        shipment = self.get_object()
        qs = shipment.excursions.select_related("logger").prefetch_related("dispositions").order_by("started_at", "id")
        if request.query_params.get("status"):
            qs = qs.filter(status__in=request.query_params["status"].split(","))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.ExcursionOutput(page, many=True).data)

    @extend_schema(request=s.CustodyEventInput, responses={201: s.CustodyEventOutput})
    @action(detail=True, methods=["get", "post"])
    def events(self, request, tracking_number=None):
        shipment = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(shipment.custody_events.select_related("recorded_by"))
            return self.get_paginated_response(s.CustodyEventOutput(page, many=True).data)
        if not has_role(request.user, Role.COURIER, Role.COORDINATOR):
            raise PermissionDenied("Custody events are posted by the courier or a coordinator.")
        data = s.CustodyEventInput(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.custody_event_record(shipment=shipment, user=request.user, **data.validated_data)
        return Response(s.CustodyEventOutput(event).data, status=status.HTTP_201_CREATED)

    def get_renderers(self):
        # Set here, not on @action: urls.py routes the file names without the router's initkwargs.
        if self.action in FILE_MEDIA_TYPES:
            return [JSONRenderer(), FileRenderer(FILE_MEDIA_TYPES[self.action])]
        return super().get_renderers()

    def get_permissions(self):
        if self.action in {"events", "readings", "readings_csv", "readings_epcis", "excursions", "report", "retrieve",
                           "list"}:
            return [HasAnyRole()]
        return super().get_permissions()


def services_shipment_update(*, shipment: Shipment, user, **changes) -> Shipment:
    """PATCH: release (qa), cancel (coordinator), or planning fields (coordinator, integration)."""
    from ..quality import shipment_release, shipment_set_status

    new_status = changes.pop("status", None)
    if changes:
        if not has_role(user, Role.COORDINATOR, Role.INTEGRATION):
            raise PermissionDenied("Changing a shipment needs the coordinator or integration role.")
        services.shipment_plan_update(shipment=shipment, user=user, **changes)
    if new_status is not None and new_status != shipment.status:
        if new_status not in ShipmentStatus.values:
            raise ValidationError({"status": f"Unknown status {new_status!r}; one of {', '.join(ShipmentStatus.values)}."})
        if new_status == ShipmentStatus.RELEASED:
            if not has_role(user, Role.QA):
                raise PermissionDenied("Only QA releases a shipment.")
            shipment_release(shipment=shipment, user=user)
        else:
            if not has_role(user, Role.COORDINATOR):
                raise PermissionDenied("Only a coordinator changes a shipment's status directly.")
            shipment_set_status(shipment=shipment, status=new_status, user=user)
    shipment.refresh_from_db()
    return shipment


def _time_param(request, name: str):
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        value = s.AwareDateTimeField().to_internal_value(raw.replace(" ", "+"))
    except serializers.ValidationError as exc:
        raise ValidationError({name: exc.detail}) from None
    return value


def _reading_items(shipment: Shipment, readings) -> list[dict]:
    assignments = {a.logger_id: a for a in shipment.assignments.all()}
    items = []
    for r in readings:
        assignment = assignments[r.logger_id]
        item = {"logger": assignment.logger.serial, "role": assignment.role,
                "recorded_at": r.recorded_at.isoformat(), "temperature_c": r.temperature_c}
        for name in selectors.OPTIONAL_FIELDS:
            value = getattr(r, name)
            if value is not None:
                item[name] = value
        items.append(item)
    return items


# --- Readings batch --------------------------------------------------------------------------


class RawJSONParser(BaseParser):
    """Parses JSON with orjson (a 10,000-reading batch in a few milliseconds; strict: no NaN
    literals) and enforces the body limit with a 413 (DRF reads the stream directly, past
    Django's DATA_UPLOAD_MAX_MEMORY_SIZE check)."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        request = parser_context["request"]
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise PayloadTooLarge(f"The body is {length} bytes; at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} are read. "
                                  f"Send at most {settings.READINGS_BATCH_MAX} readings a request.")
        body = stream.read(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) if stream is not None else b""
        if len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise PayloadTooLarge(f"The body is over {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.")
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"The body is not valid JSON: {exc}") from None


class ReadingsBatchResponse(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    conflicts = serializers.IntegerField()
    batch = serializers.UUIDField()


class LoggerReadingsView(APIView):
    """POST a batch of readings for one logger: all or nothing, idempotent."""

    parser_classes = [RawJSONParser]
    permission_classes = [HasAnyRole]

    @extend_schema(request=s.ReadingsBatchDoc, responses={202: ReadingsBatchResponse})
    def post(self, request, serial: str):
        if not has_role(request.user, Role.COURIER, Role.INTEGRATION):
            raise PermissionDenied("Readings are posted by a courier or an integration.")
        logger = Logger.objects.filter(serial=serial).first()
        if logger is None or not selectors.logger_postable_by(request.user, logger):
            return Response({"detail": f"No logger {serial} that you may post readings for."},
                            status=status.HTTP_404_NOT_FOUND)
        payload = request.data
        if not isinstance(payload, dict) or "readings" not in payload:
            raise ValidationError({"readings": 'Send {"readings": [...]}.'})
        items = payload["readings"]
        if isinstance(items, list) and len(items) > settings.READINGS_BATCH_MAX:
            raise PayloadTooLarge(f"{len(items)} readings in one request; at most {settings.READINGS_BATCH_MAX}. "
                                  f"Split the batch.")
        readings, errors, repeats = validate_batch(items, now=timezone.now())
        if errors:
            raise BatchInvalid(errors)
        try:
            result = services.readings_ingest(logger=logger, readings=readings, source="api", user=request.user)
        except DjangoValidationError as exc:
            raise ValidationError(exc.messages) from None
        return Response({"accepted": result.accepted, "duplicates": result.duplicates + repeats,
                         "conflicts": result.conflicts, "batch": str(result.batch.pk)},
                        status=status.HTTP_202_ACCEPTED)


# --- Excursions ------------------------------------------------------------------------------


class ExcursionViewSet(viewsets.GenericViewSet):
    permission_classes = [HasAnyRole]

    def get_queryset(self):
        return Excursion.objects.filter(shipment__in=shipments_visible_to(self.request.user))

    @extend_schema(request=s.DispositionInput, responses={201: s.ExcursionOutput})
    @action(detail=True, methods=["post"])
    def disposition(self, request, pk=None):
        from ..quality import excursion_dispose

        excursion = get_object_or_404(self.get_queryset(), pk=pk)
        if not has_role(request.user, Role.QA):
            raise PermissionDenied("Only a QA user signs a disposition.")
        data = s.DispositionInput(data=request.data)
        data.is_valid(raise_exception=True)
        excursion_dispose(excursion=excursion, user=request.user, **data.validated_data)
        excursion = self.get_queryset().select_related("logger").prefetch_related("dispositions").get(pk=excursion.pk)
        return Response(s.ExcursionOutput(excursion).data, status=status.HTTP_201_CREATED)


# --- Uploads ---------------------------------------------------------------------------------


class UploadOutput(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    progress = serializers.FloatField()
    format = serializers.CharField()
    timezone = serializers.CharField()
    timezone_reason = serializers.SerializerMethodField()
    logger = serializers.CharField(source="logger.serial", default=None)
    name = serializers.CharField(source="original_name")
    size_bytes = serializers.IntegerField()
    sha256 = serializers.CharField()
    rows = serializers.IntegerField()
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    conflicts = serializers.IntegerField()
    rejected = serializers.IntegerField()
    skipped = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField())
    device = serializers.JSONField(source="device_metadata")
    failure = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_timezone_reason(self, upload) -> str | None:
        """Why that zone: what the file said, and where the upload's zone came from."""
        metadata = upload.device_metadata or {}
        parts = [metadata.get("timezone_reason"), metadata.get("timezone_source")]
        return "; ".join(p for p in parts if p) or None


class UploadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """POST a logger file (multipart: ``file``, optional ``logger`` serial and ``format``)."""

    permission_classes = [HasAnyRole]
    serializer_class = UploadOutput
    queryset = Upload.objects.none()  # the model, for the schema; get_queryset scopes it

    def get_queryset(self):
        from ..uploads import uploads_visible_to

        return uploads_visible_to(self.request.user).select_related("logger")

    def get_parsers(self):
        from rest_framework.parsers import MultiPartParser

        return [MultiPartParser()] if self.request is not None and self.request.method == "POST" else super().get_parsers()

    @extend_schema(request={"multipart/form-data": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary"}, "logger": {"type": "string"}, "format": {"type": "string"}}}},
        responses={202: UploadOutput})
    def create(self, request):
        from ..uploads import UploadRefused, upload_receive

        if not has_role(request.user, Role.COURIER, Role.INTEGRATION, Role.COORDINATOR):
            raise PermissionDenied("Uploads are made by a courier, an integration or a coordinator.")
        uploaded = request.FILES.get("file")
        if uploaded is None:
            raise ValidationError({"file": "Attach the logger file as multipart field 'file'."})
        logger = None
        serial = (request.data.get("logger") or "").strip()
        if serial:
            logger = Logger.objects.filter(serial=serial).first()
            if logger is None or not (has_role(request.user, Role.COORDINATOR) or selectors.logger_postable_by(request.user, logger)):
                return Response({"detail": f"No logger {serial} that you may upload for."},
                                status=status.HTTP_404_NOT_FOUND)
        try:
            upload = upload_receive(uploaded=uploaded, user=request.user, logger=logger,
                                    fmt=request.data.get("format") or None)
        except UploadRefused as refused:
            return Response({"detail": refused.message, "errors": [{"field": refused.field, "message": refused.message}]},
                            status=refused.status)
        upload.refresh_from_db()
        return Response(UploadOutput(upload).data, status=status.HTTP_202_ACCEPTED)
