"""The coordinators' admin for alerts: contacts, alerts (acknowledge with a comment), deliveries
with their errors, and sponsor webhooks."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils import timezone

from shipments.audit import audit_record

from . import services
from .models import (
    Alert,
    AlertStatus,
    Channel,
    Contact,
    Delivery,
    DeliveryStatus,
    SponsorWebhook,
    normalise_phone,
)


class ContactForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(choices=[(Channel.EMAIL, "E-mail"), (Channel.SMS, "SMS")],
                                         widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Contact
        fields = ["name", "email", "phone", "facility", "region", "level", "channels", "on_call", "active"]

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data["phone"]) if self.cleaned_data.get("phone") else ""


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    form = ContactForm
    list_display = ["name", "level", "facility", "region", "on_call", "channel_list", "email", "phone", "active"]
    list_filter = ["level", "on_call", "active", "region", "facility__region"]
    search_fields = ["name", "email", "phone"]
    list_select_related = ["facility", "region"]

    @admin.display(description="channels")
    def channel_list(self, contact: Contact) -> str:
        return ", ".join(contact.channels)

    def has_delete_permission(self, request, obj=None):
        return False  # master data is evidence: deactivate instead

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(actor=request.user, action="masterdata.update" if change else "masterdata.create", obj=obj,
                     data={name: str(form.cleaned_data.get(name)) for name in form.changed_data})


class DeliveryInline(admin.TabularInline):
    model = Delivery
    fields = ["message", "round", "level", "channel", "contact", "address", "status", "attempts", "sent_at", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class AcknowledgeForm(forms.Form):
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
                              help_text="What is being done about it. Recorded with your name and the time.")


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["id", "shipment", "logger", "severity", "status", "ongoing", "level", "opened_at",
                    "acknowledged_by_name", "acknowledged_at", "code"]
    list_filter = ["severity", "status", "ongoing", "acknowledged_via", "resolution"]
    search_fields = ["shipment__tracking_number", "shipment__coi", "code", "logger__serial"]
    list_select_related = ["shipment", "logger"]
    date_hierarchy = "opened_at"
    inlines = [DeliveryInline]
    actions = ["acknowledge"]
    readonly_fields = ["shipment", "logger", "severity", "status", "ongoing", "excursion_list", "code", "opened_at",
                       "ended_at", "closed_at", "resolution", "level", "last_notified_at", "escalate_at",
                       "reminders", "acknowledged_by", "acknowledged_by_name", "acknowledged_at",
                       "acknowledged_via", "comment"]
    exclude = ["excursions"]

    @admin.display(description="excursions")
    def excursion_list(self, alert: Alert) -> str:
        return "; ".join(f"#{e.pk} {e.get_kind_display()} ({e.severity}, {e.status})" for e in alert.excursions.all())

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Acknowledge selected alerts (asks for a comment)")
    def acknowledge(self, request, queryset):
        form = AcknowledgeForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done, refused = 0, []
            now = timezone.now()
            for alert in queryset:
                try:
                    services.alert_acknowledge(alert=alert, comment=form.cleaned_data["comment"], via="admin",
                                               user=request.user, now=now)
                    done += 1
                except (services.AlertNotOpen, ValidationError) as exc:
                    refused.append(str(exc))
            if done:
                self.message_user(request, f"Acknowledged {done} alert(s).", messages.SUCCESS)
            for text in refused:
                self.message_user(request, text, messages.WARNING)
            return None
        return TemplateResponse(request, "alerts/admin/acknowledge.html", {
            **self.admin_site.each_context(request),
            "title": "Acknowledge alerts",
            "alerts": queryset.filter(status=AlertStatus.OPEN),
            "not_open": queryset.exclude(status=AlertStatus.OPEN),
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        })


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "alert", "message", "round", "level", "channel", "contact", "address", "status",
                    "attempts", "sent_at", "short_error"]
    list_filter = ["status", "channel", "message"]
    search_fields = ["address", "idempotency_key", "provider_id", "alert__shipment__tracking_number"]
    list_select_related = ["alert__shipment", "contact"]
    actions = ["send_again"]
    readonly_fields = [f.name for f in Delivery._meta.fields]

    @admin.display(description="error")
    def short_error(self, delivery: Delivery) -> str:
        return delivery.error[:120]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Send failed deliveries again (same idempotency key)")
    def send_again(self, request, queryset):
        count = services.deliveries_resend(ids=list(queryset.filter(status=DeliveryStatus.FAILED)
                                                    .values_list("id", flat=True)), user=request.user)
        self.message_user(request, f"Queued {count} failed deliveries again.", messages.SUCCESS)


@admin.register(SponsorWebhook)
class SponsorWebhookAdmin(admin.ModelAdmin):
    list_display = ["sponsor", "url", "active"]
    list_filter = ["active", "sponsor"]

    def has_delete_permission(self, request, obj=None):
        return False
