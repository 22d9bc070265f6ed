"""Input and output shapes of the alerts API (API.md "Alert", "Master data: contact")."""

from __future__ import annotations

from copy import copy

from rest_framework import serializers

from shipments.api.serializers import ModelSerializer, code_field
from shipments.models import Facility, Region

from ..models import Alert, Channel, Contact, Delivery, normalise_phone

PERSON_CHANNELS = (Channel.EMAIL, Channel.SMS)


class DeliveryOutput(ModelSerializer):
    contact = serializers.CharField(source="contact.name", default=None)

    class Meta:
        model = Delivery
        fields = ["contact", "channel", "message", "status", "sent_at"]


class AlertOutput(ModelSerializer):
    shipment = serializers.CharField(source="shipment.tracking_number")
    logger = serializers.CharField(source="logger.serial", default=None)
    excursions = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    acknowledged_by = serializers.SerializerMethodField()
    deliveries = DeliveryOutput(many=True, read_only=True)

    class Meta:
        model = Alert
        fields = ["id", "shipment", "logger", "severity", "status", "ongoing", "opened_at", "excursions",
                  "acknowledged_by", "acknowledged_at", "acknowledged_via", "comment", "level", "ended_at",
                  "closed_at", "resolution", "deliveries"]

    def get_acknowledged_by(self, alert: Alert) -> str | None:
        if alert.acknowledged_by_id:
            return alert.acknowledged_by.get_username()
        return alert.acknowledged_by_name or None


class AcknowledgeInput(serializers.Serializer):
    comment = serializers.CharField(max_length=4000, error_messages={
        "required": "Say what is being done about it: a comment is required.",
        "blank": "Say what is being done about it: a comment is required.",
    })


class ContactSerializer(ModelSerializer):
    facility = code_field(Facility, required=False, allow_null=True)
    region = code_field(Region, required=False, allow_null=True)
    channels = serializers.ListField(child=serializers.ChoiceField(choices=PERSON_CHANNELS), allow_empty=False)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)

    class Meta:
        model = Contact
        fields = ["id", "name", "email", "phone", "facility", "region", "level", "channels", "on_call", "active"]
        extra_kwargs = {"level": {"min_value": 1, "max_value": 3}}

    def validate_phone(self, value: str) -> str:
        if not value:
            return ""
        phone = normalise_phone(value)
        Contact._meta.get_field("phone").run_validators(phone)
        return phone

    def validate_channels(self, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError("List each channel once.")
        return sorted(value)

    def validate(self, attrs):
        # The model's own rules (facility xor region, an address for each channel), as in the admin.
        contact = copy(self.instance) if self.instance is not None else Contact()
        for name, value in attrs.items():
            setattr(contact, name, value)
        contact.clean()
        return attrs
