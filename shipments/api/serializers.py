"""Input and output shapes of the logistics API (API.md). Master data is referred to by code."""

from __future__ import annotations

from datetime import datetime

from django.db import models as dj_models
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..choices import CustodyEventType, ExcursionStatus, LoggerRole
from ..models import (
    AlarmRule,
    Courier,
    CustodyEvent,
    Dewar,
    Disposition,
    Excursion,
    Facility,
    Logger,
    Profile,
    Region,
    Shipment,
    Sponsor,
)
from ..profiles import profile_version_publish


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an offset; a time without one is refused (API.md)."""

    default_error_messages = {"naive": "Give the time with its UTC offset, e.g. 2026-11-27T10:00:00+00:00."}

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                self.fail("invalid", format="ISO 8601 with offset")
            if parsed.tzinfo is None:
                self.fail("naive")
        return super().to_internal_value(value)


class ModelSerializer(serializers.ModelSerializer):
    """Model serializers of this API: datetimes must carry an offset."""

    serializer_field_mapping = {**serializers.ModelSerializer.serializer_field_mapping,
                                dj_models.DateTimeField: AwareDateTimeField}


def code_field(model, *, field: str = "code", **kwargs):
    return serializers.SlugRelatedField(slug_field=field, queryset=model.objects.all(), **kwargs)


class RegionSerializer(ModelSerializer):
    class Meta:
        model = Region
        fields = ["code", "name", "escalate_after_min"]


class FacilitySerializer(ModelSerializer):
    region = code_field(Region)

    class Meta:
        model = Facility
        fields = ["code", "name", "kind", "region", "latitude", "longitude", "timezone", "geofence_radius_km"]


class SponsorSerializer(ModelSerializer):
    class Meta:
        model = Sponsor
        fields = ["code", "name"]


class CourierSerializer(ModelSerializer):
    class Meta:
        model = Courier
        fields = ["code", "name", "planning_speed_kmh"]


class LoggerSerializer(ModelSerializer):
    class Meta:
        model = Logger
        fields = ["serial", "model", "calibration_due", "interval_s", "timezone"]


class DewarSerializer(ModelSerializer):
    class Meta:
        model = Dewar
        fields = ["serial", "model", "hold_time_h", "charged_at", "qualified_until"]


class AlarmRuleSerializer(ModelSerializer):
    class Meta:
        model = AlarmRule
        fields = ["kind", "direction", "threshold_c", "after_min", "severity"]


class ProfileSerializer(ModelSerializer):
    """Rules are replaced whole on PATCH; any change makes a new version (RULES.md §3)."""

    rules = AlarmRuleSerializer(many=True, required=False)
    version = serializers.SerializerMethodField()

    class Meta:
        model = Profile
        fields = ["code", "name", "min_c", "max_c", "rules", "activation_energy_kj_mol", "mkt_max_c",
                  "max_gap_min", "max_tilt_deg", "tilt_after_min", "min_battery_pct", "shelf_life_margin_h",
                  "hold_time_margin_h", "handling_time_h", "planning_speed_kmh", "version"]

    def get_version(self, profile: Profile) -> int | None:
        version = profile.current_version
        return version.number if version else None

    def validate(self, attrs):
        min_c = attrs.get("min_c", getattr(self.instance, "min_c", None))
        max_c = attrs.get("max_c", getattr(self.instance, "max_c", None))
        if min_c is not None and max_c is not None and min_c > max_c:
            raise serializers.ValidationError({"max_c": "max_c must not be below min_c."})
        return attrs

    @transaction.atomic
    def create(self, validated_data):
        rules = validated_data.pop("rules", [])
        profile = Profile.objects.create(**validated_data)
        for rule in rules:
            AlarmRule.objects.create(profile=profile, **rule)
        profile_version_publish(profile=profile, user=self.context["request"].user)
        return profile

    @transaction.atomic
    def update(self, instance, validated_data):
        rules = validated_data.pop("rules", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        instance.save()
        if rules is not None:
            instance.rules.all().delete()
            for rule in rules:
                AlarmRule.objects.create(profile=instance, **rule)
        profile_version_publish(profile=instance, user=self.context["request"].user)
        return instance


# --- Shipments -------------------------------------------------------------------------------


class LoggerAssignmentInput(serializers.Serializer):
    serial = serializers.SlugRelatedField(slug_field="serial", queryset=Logger.objects.all())
    role = serializers.ChoiceField(choices=LoggerRole.choices, default=LoggerRole.PRODUCT)
    assigned_at = AwareDateTimeField(required=False)
    released_at = AwareDateTimeField(required=False, allow_null=True)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = {"serial": data}
        return super().to_internal_value(data)


class ShipmentCreateInput(serializers.Serializer):
    tracking_number = serializers.RegexField(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=64)
    coi = serializers.RegexField(
        r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=64,
        error_messages={"invalid": "A pseudonymous chain-of-identity id: letters, digits, '.', '_', '-' only."},
    )
    sponsor = code_field(Sponsor)
    profile = code_field(Profile)
    origin = code_field(Facility)
    destination = code_field(Facility)
    courier = code_field(Courier)
    dewar = serializers.SlugRelatedField(slug_field="serial", queryset=Dewar.objects.all(), required=False,
                                         allow_null=True)
    loggers = LoggerAssignmentInput(many=True, required=False)
    planned_departure = AwareDateTimeField(required=False, allow_null=True)
    planned_arrival = AwareDateTimeField(required=False, allow_null=True)
    product_expires_at = AwareDateTimeField(required=False, allow_null=True)

    def validate_tracking_number(self, value):
        if Shipment.objects.filter(tracking_number=value).exists():
            raise serializers.ValidationError(f"A shipment {value} exists already.")
        return value


class ShipmentUpdateInput(serializers.Serializer):
    status = serializers.CharField(required=False)
    planned_departure = AwareDateTimeField(required=False, allow_null=True)
    planned_arrival = AwareDateTimeField(required=False, allow_null=True)
    product_expires_at = AwareDateTimeField(required=False, allow_null=True)


class PositionOutput(serializers.Serializer):
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    recorded_at = serializers.DateTimeField()


class AssignedLoggerOutput(serializers.Serializer):
    serial = serializers.CharField()
    role = serializers.ChoiceField(choices=LoggerRole.choices)
    assigned_at = serializers.DateTimeField()
    released_at = serializers.DateTimeField(allow_null=True)
    calibration_due = serializers.DateField(allow_null=True)


class StatsOutput(serializers.Serializer):
    """RULES.md §4 figures: the worst product logger's, and each logger's in ``per_logger``."""

    readings = serializers.IntegerField()
    min_c = serializers.FloatField(allow_null=True)
    max_c = serializers.FloatField(allow_null=True)
    mean_c = serializers.FloatField(allow_null=True)
    mkt_c = serializers.FloatField(allow_null=True)
    tor_min = serializers.FloatField()
    first_at = serializers.DateTimeField(allow_null=True)
    last_at = serializers.DateTimeField(allow_null=True)
    per_logger = serializers.DictField(child=serializers.DictField())


class DispositionOutput(ModelSerializer):
    signed_by = serializers.CharField(source="signed_name")

    class Meta:
        model = Disposition
        fields = ["decision", "reason", "signed_by", "signed_at", "meaning"]


class ExcursionOutput(ModelSerializer):
    logger = serializers.CharField(source="logger.serial", default=None)
    disposition = serializers.SerializerMethodField()

    class Meta:
        model = Excursion
        fields = ["id", "kind", "status", "direction", "threshold_c", "after_min", "severity", "logger",
                  "started_at", "alarm_at", "ended_at", "duration_min", "peak_c", "peak_at", "detected_at",
                  "disposition"]

    @extend_schema_field(DispositionOutput(allow_null=True))
    def get_disposition(self, excursion: Excursion):
        # Prefetched as `dispositions` (newest first): the one in force.
        dispositions = list(excursion.dispositions.all())
        return DispositionOutput(dispositions[0]).data if dispositions else None


class ShipmentListOutput(ModelSerializer):
    sponsor = serializers.CharField(source="sponsor.code")
    profile = serializers.CharField(source="profile_version.profile.code")
    profile_version = serializers.IntegerField(source="profile_version.number")
    origin = serializers.CharField(source="origin.code")
    destination = serializers.CharField(source="destination.code")
    courier = serializers.CharField(source="courier.code")
    dewar = serializers.CharField(source="dewar.serial", default=None)
    current_region = serializers.CharField(source="current_region.code", default=None)

    class Meta:
        model = Shipment
        fields = ["tracking_number", "coi", "sponsor", "profile", "profile_version", "origin", "destination",
                  "courier", "dewar", "status", "planned_departure", "planned_arrival", "product_expires_at",
                  "eta", "current_region"]


class ShipmentDetailOutput(ShipmentListOutput):
    loggers = serializers.SerializerMethodField()
    last_position = serializers.SerializerMethodField()
    stats = serializers.SerializerMethodField()
    shelf_life_remaining_h = serializers.SerializerMethodField()
    hold_time_remaining_h = serializers.SerializerMethodField()
    open_alerts = serializers.SerializerMethodField()
    excursions = serializers.SerializerMethodField()

    class Meta(ShipmentListOutput.Meta):
        fields = [*ShipmentListOutput.Meta.fields, "loggers", "last_position", "stats", "shelf_life_remaining_h",
                  "hold_time_remaining_h", "open_alerts", "excursions"]

    @extend_schema_field(AssignedLoggerOutput(many=True))
    def get_loggers(self, shipment: Shipment):
        return [
            {"serial": a.logger.serial, "role": a.role, "assigned_at": serializers.DateTimeField().to_representation(a.assigned_at),
             "released_at": serializers.DateTimeField().to_representation(a.released_at) if a.released_at else None,
             "calibration_due": a.logger.calibration_due}
            for a in shipment.assignments.all()
        ]

    @extend_schema_field(PositionOutput(allow_null=True))
    def get_last_position(self, shipment: Shipment):
        if shipment.last_position_at is None:
            return None
        return {"latitude": shipment.last_latitude, "longitude": shipment.last_longitude,
                "recorded_at": serializers.DateTimeField().to_representation(shipment.last_position_at)}

    @extend_schema_field(StatsOutput)
    def get_stats(self, shipment: Shipment):
        from ..selectors import shipment_stats

        return shipment_stats(shipment)

    def get_shelf_life_remaining_h(self, shipment: Shipment) -> float | None:
        if shipment.product_expires_at is None:
            return None
        return round((shipment.product_expires_at - timezone.now()).total_seconds() / 3600, 2)

    def get_hold_time_remaining_h(self, shipment: Shipment) -> float | None:
        dry_out = shipment.dry_out_at
        if dry_out is None:
            return None
        return round((dry_out - timezone.now()).total_seconds() / 3600, 2)

    def get_open_alerts(self, shipment: Shipment) -> int:
        # Read through the reverse relation: the logistics core does not import alerts.
        alerts = getattr(shipment, "alerts", None)
        return alerts.exclude(status="closed").count() if alerts is not None else 0

    @extend_schema_field(ExcursionOutput(many=True))
    def get_excursions(self, shipment: Shipment):
        qs = shipment.excursions.exclude(status=ExcursionStatus.SUPERSEDED).select_related("logger").prefetch_related("dispositions")
        return ExcursionOutput(qs, many=True).data


class CustodyEventInput(serializers.Serializer):
    type = serializers.ChoiceField(choices=CustodyEventType.choices)
    occurred_at = AwareDateTimeField()
    latitude = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    longitude = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def validate(self, attrs):
        if (attrs.get("latitude") is None) != (attrs.get("longitude") is None):
            raise serializers.ValidationError({"longitude": "Give latitude and longitude together."})
        if attrs["occurred_at"] > timezone.now() + timezone.timedelta(minutes=10):
            raise serializers.ValidationError({"occurred_at": "More than 10 minutes in the future."})
        return attrs


class CustodyEventOutput(ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", default=None)

    class Meta:
        model = CustodyEvent
        fields = ["id", "type", "occurred_at", "latitude", "longitude", "note", "recorded_by", "source", "created_at"]


class DispositionInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["no_impact", "quarantine", "reject"])
    reason = serializers.CharField(max_length=4000)
    password = serializers.CharField(write_only=True, trim_whitespace=False)


# --- Schema-only shapes (the views validate and build these without per-row serializers) -------


class ReadingInputDoc(serializers.Serializer):
    recorded_at = serializers.DateTimeField(help_text="ISO 8601 with an offset; at most 10 minutes in the future.")
    temperature_c = serializers.FloatField(help_text="°C, not below -273.15 (or give temperature_f).")
    temperature_f = serializers.FloatField(required=False)
    latitude = serializers.FloatField(required=False, min_value=-90, max_value=90)
    longitude = serializers.FloatField(required=False, min_value=-180, max_value=180)
    tilt_deg = serializers.FloatField(required=False, min_value=0, max_value=180)
    battery_pct = serializers.FloatField(required=False, min_value=0, max_value=100)
    humidity_pct = serializers.FloatField(required=False, min_value=0, max_value=100)


class ReadingsBatchDoc(serializers.Serializer):
    readings = ReadingInputDoc(many=True, help_text="Up to 10,000; all or nothing.")


class ReadingItemDoc(serializers.Serializer):
    logger = serializers.CharField()
    role = serializers.ChoiceField(choices=LoggerRole.choices)
    recorded_at = serializers.DateTimeField()
    temperature_c = serializers.FloatField(required=False, help_text="Absent in buckets (every=).")
    min_c = serializers.FloatField(required=False, help_text="Buckets only.")
    max_c = serializers.FloatField(required=False, help_text="Buckets only.")
    mean_c = serializers.FloatField(required=False, help_text="Buckets only.")
    count = serializers.IntegerField(required=False, help_text="Buckets only.")
    latitude = serializers.FloatField(required=False)
    longitude = serializers.FloatField(required=False)
    tilt_deg = serializers.FloatField(required=False)
    battery_pct = serializers.FloatField(required=False)
    humidity_pct = serializers.FloatField(required=False)
