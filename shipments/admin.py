"""The coordinators' admin for the logistics domain. Writes go through the services so the
admin and the API obey the same rules (versioned profiles, assignment checks, audit trail)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from coldchain.api import Conflict

from . import services
from .access import has_role, shipments_visible_to
from .charts import chart_svg, logger_charts
from .choices import Decision, ExcursionStatus, Role, UploadStatus
from .ingest import KNOWN_FORMATS
from .models import (
    AlarmRule,
    AuditEntry,
    Courier,
    CustodyEvent,
    Dewar,
    Disposition,
    Excursion,
    Facility,
    IngestBatch,
    Logger,
    LoggerAssignment,
    Membership,
    MonitorState,
    Profile,
    ProfileVersion,
    Reading,
    ReadingConflict,
    Region,
    Shipment,
    Sponsor,
    Upload,
)
from .profiles import profile_version_publish
from .quality import MEANINGS, excursion_dispose, shipment_release, signer_name
from .reports import local_time, shipment_report, shipment_report_pdf


class ReadOnlyAdmin(admin.ModelAdmin):
    """Evidence: shown, never edited or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class NoDeleteAdmin(admin.ModelAdmin):
    """Master data is evidence: never deleted."""

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Region)
class RegionAdmin(NoDeleteAdmin):
    list_display = ["code", "name", "escalate_after_min", "facility_count"]
    search_fields = ["code", "name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_facilities=Count("facilities"))

    @admin.display(description="facilities", ordering="n_facilities")
    def facility_count(self, obj):
        return obj.n_facilities


@admin.register(Facility)
class FacilityAdmin(NoDeleteAdmin):
    list_display = ["code", "name", "kind", "region", "timezone", "latitude", "longitude", "geofence_radius_km"]
    list_filter = ["kind", "region"]
    search_fields = ["code", "name"]


@admin.register(Sponsor)
class SponsorAdmin(NoDeleteAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Courier)
class CourierAdmin(NoDeleteAdmin):
    list_display = ["code", "name", "planning_speed_kmh"]
    search_fields = ["code", "name"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "courier", "all_sponsors", "sponsor_codes"]
    list_filter = ["all_sponsors", "courier"]
    search_fields = ["user__username", "user__email"]
    filter_horizontal = ["sponsors"]
    autocomplete_fields = ["user"]

    @admin.display(description="sponsors")
    def sponsor_codes(self, obj):
        return ", ".join(obj.sponsors.values_list("code", flat=True))


class AlarmRuleInline(admin.TabularInline):
    model = AlarmRule
    extra = 0


class ProfileVersionInline(admin.TabularInline):
    model = ProfileVersion
    extra = 0
    fields = ["number", "created_at", "created_by", "rule_summary"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="rules")
    def rule_summary(self, obj):
        return "; ".join(
            f"{r['kind']} {r['direction']} {r['threshold_c']:g} °C after {r['after_min']:g} min ({r['severity']})"
            for r in obj.definition.get("rules", [])
        )


@admin.register(Profile)
class ProfileAdmin(NoDeleteAdmin):
    list_display = ["code", "name", "min_c", "max_c", "rule_count", "version_number"]
    search_fields = ["code", "name"]
    inlines = [AlarmRuleInline, ProfileVersionInline]
    fieldsets = [
        (None, {"fields": ["code", "name", ("min_c", "max_c"), "activation_energy_kj_mol"]}),
        ("Optional rules (left empty: off)", {"fields": [
            "mkt_max_c", "max_gap_min", ("max_tilt_deg", "tilt_after_min"), "min_battery_pct",
            "shelf_life_margin_h", "hold_time_margin_h", "handling_time_h", "planning_speed_kmh"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_rules=Count("rules", distinct=True))

    @admin.display(description="rules", ordering="n_rules")
    def rule_count(self, obj):
        return obj.n_rules

    @admin.display(description="version")
    def version_number(self, obj):
        version = obj.current_version
        return f"v{version.number}" if version else "—"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        before = form.instance.current_version
        version = profile_version_publish(profile=form.instance, user=request.user)
        if before is None or version.pk != before.pk:
            self.message_user(request, f"Saved as {version}. Shipments created from now on use it; existing "
                                       f"shipments keep their version.", messages.INFO)


@admin.register(ProfileVersion)
class ProfileVersionAdmin(ReadOnlyAdmin):
    list_display = ["profile", "number", "created_at", "created_by"]
    list_filter = ["profile"]


@admin.register(Dewar)
class DewarAdmin(NoDeleteAdmin):
    list_display = ["serial", "model", "hold_time_h", "charged_at", "qualified_until"]
    search_fields = ["serial", "model"]


@admin.register(Logger)
class LoggerAdmin(NoDeleteAdmin):
    list_display = ["serial", "model", "calibration_due", "interval_s", "timezone"]
    search_fields = ["serial", "model"]


class AssignmentInline(admin.TabularInline):
    model = LoggerAssignment
    extra = 0
    fields = ["logger", "role", "assigned_at", "released_at"]
    autocomplete_fields = ["logger"]
    can_delete = False


class CustodyEventInline(admin.TabularInline):
    model = CustodyEvent
    extra = 0
    fields = ["type", "occurred_at", "latitude", "longitude", "note", "recorded_by", "source"]
    readonly_fields = ["recorded_by", "source"]
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False


class ExcursionInline(admin.TabularInline):
    model = Excursion
    extra = 0
    fields = ["kind", "severity", "status", "logger", "threshold_c", "started_at", "ended_at", "duration_min",
              "peak_c", "disposition_state"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="disposition")
    def disposition_state(self, obj):
        latest = obj.dispositions.first()
        return latest.get_decision_display() if latest else "needed"


@admin.register(Shipment)
class ShipmentAdmin(NoDeleteAdmin):
    list_display = ["tracking_number", "coi", "sponsor", "route", "status", "current_region", "eta",
                    "open_excursions", "product_expires_at"]
    list_filter = ["status", "sponsor", "courier", "destination__region", "destination"]
    search_fields = ["tracking_number", "coi"]
    date_hierarchy = "created_at"
    list_select_related = ["sponsor", "origin", "destination", "current_region"]
    inlines = [AssignmentInline, CustodyEventInline, ExcursionInline]
    readonly_fields = ["profile_version", "last_latitude", "last_longitude", "last_position_at", "current_region",
                       "eta", "dewar_charged_at", "dewar_hold_time_h", "created_at", "updated_at"]
    autocomplete_fields = ["dewar"]
    fieldsets = [
        (None, {"fields": ["tracking_number", "coi", "sponsor", "status"]}),
        ("Route", {"fields": [("origin", "destination"), "courier", ("planned_departure", "planned_arrival")]}),
        ("Product and equipment", {"fields": ["profile_version", "product_expires_at", "dewar",
                                              ("dewar_charged_at", "dewar_hold_time_h")]}),
        ("Where it is", {"fields": [("last_latitude", "last_longitude", "last_position_at"), "current_region", "eta"]}),
        ("Record", {"fields": [("created_at", "updated_at")]}),
    ]

    def get_queryset(self, request):
        # The admin shows a user the shipments the API would (coordinators and QA their sponsors').
        return shipments_visible_to(request.user, super().get_queryset(request)).annotate(
            n_open=Count("excursions", filter=Q(excursions__status=ExcursionStatus.OPEN), distinct=True)
        )

    @admin.display(description="route")
    def route(self, obj):
        return f"{obj.origin.code} → {obj.destination.code}"

    @admin.display(description="open excursions", ordering="n_open")
    def open_excursions(self, obj):
        if not obj.n_open:
            return "0"
        return format_html('<strong style="color:#b00">{}</strong>', obj.n_open)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["tracking_number", "sponsor", "origin", "destination", "courier", "dewar"]
        return fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # Creation goes through the service: current profile version, dewar as charged, audit.
        profile = form.cleaned_data.get("profile")
        try:
            created = services.shipment_create(
                user=request.user, tracking_number=obj.tracking_number, coi=obj.coi, sponsor=obj.sponsor,
                profile=profile, origin=obj.origin, destination=obj.destination, courier=obj.courier, dewar=obj.dewar,
                planned_departure=obj.planned_departure, planned_arrival=obj.planned_arrival,
                product_expires_at=obj.product_expires_at,
            )
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            raise
        obj.pk = created.pk
        obj.refresh_from_db()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is None:
            from django import forms

            form.base_fields["profile"] = forms.ModelChoiceField(
                Profile.objects.all(), help_text="The shipment keeps the profile's current version."
            )
        return form

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            fieldsets = [(None, {"fields": ["tracking_number", "coi", "sponsor", "profile"]}), *fieldsets[1:]]
        return fieldsets

    def save_formset(self, request, form, formset, change):
        if formset.model is LoggerAssignment:
            for instance in formset.save(commit=False):
                try:
                    if instance.pk:
                        services.assignment_update(assignment=instance, assigned_at=instance.assigned_at,
                                                   released_at=instance.released_at,
                                                   clear_release=instance.released_at is None, user=request.user)
                    else:
                        services.assignment_add(shipment=form.instance, logger=instance.logger, role=instance.role,
                                                assigned_at=instance.assigned_at, released_at=instance.released_at,
                                                user=request.user)
                except ValidationError as exc:
                    self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return
        if formset.model is CustodyEvent:
            for instance in formset.save(commit=False):
                if instance.pk:
                    continue
                try:
                    services.custody_event_record(shipment=form.instance, type=instance.type,
                                                  occurred_at=instance.occurred_at, latitude=instance.latitude,
                                                  longitude=instance.longitude, note=instance.note,
                                                  user=request.user, source="admin")
                except ValidationError as exc:
                    self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return
        super().save_formset(request, form, formset, change)

    # --- The shipment's page: overview above the form, and what a coordinator or QA does there ---

    def change_view(self, request, object_id, form_url="", extra_context=None):
        shipment = self.get_object(request, unquote(object_id))
        extra_context = dict(extra_context or {})
        if shipment is not None and self.has_view_permission(request, shipment):
            extra_context.update(self.overview_context(request, shipment))
        return super().change_view(request, object_id, form_url, extra_context)

    def overview_context(self, request, shipment: Shipment) -> dict:
        report = shipment_report(shipment)
        user = request.user
        is_qa = has_role(user, Role.QA)
        for row in report.excursions:
            row["sign_url"] = self._url("dispose", shipment, row["id"])
            row["you_acknowledged"] = user.pk in row["acknowledged_by"]
        for row in report.alerts:
            row["ack_url"] = self._url("acknowledge", shipment, row["id"])
        return {
            "overview": report,
            "charts": [chart_svg(chart) for chart in logger_charts(shipment, zone=report.destination_zone)],
            "can_acknowledge": has_role(user, Role.COORDINATOR),
            "can_sign": is_qa,
            "can_release": is_qa,
            "report_url": self._url("report", shipment),
            "release_url": self._url("release", shipment),
            "ack_form": AcknowledgeForm(),
        }

    def _url(self, name: str, shipment: Shipment, *args) -> str:
        return reverse(f"{self.admin_site.name}:shipments_shipment_{name}", args=[shipment.pk, *args])

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/report.pdf", view(self.report_view), name="shipments_shipment_report"),
            path("<path:object_id>/release/", view(self.release_view), name="shipments_shipment_release"),
            path("<path:object_id>/excursions/<int:excursion_id>/disposition/", view(self.dispose_view),
                 name="shipments_shipment_dispose"),
            path("<path:object_id>/alerts/<int:alert_id>/acknowledge/", view(self.acknowledge_view),
                 name="shipments_shipment_acknowledge"),
            *super().get_urls(),
        ]

    def _shipment_or_404(self, request, object_id) -> Shipment:
        shipment = self.get_object(request, unquote(object_id))
        if shipment is None or not self.has_view_permission(request, shipment):
            raise Http404("No such shipment, or not one you may see.")
        return shipment

    def _back(self, shipment: Shipment, anchor: str = "") -> HttpResponseRedirect:
        url = reverse(f"{self.admin_site.name}:shipments_shipment_change", args=[shipment.pk])
        return HttpResponseRedirect(url + (f"#{anchor}" if anchor else ""))

    def report_view(self, request, object_id):
        shipment = self._shipment_or_404(request, object_id)
        response = HttpResponse(shipment_report_pdf(shipment, generated_by=request.user),
                                content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{shipment.tracking_number}-report.pdf"'
        return response

    def release_view(self, request, object_id):
        shipment = self._shipment_or_404(request, object_id)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not has_role(request.user, Role.QA):
            raise PermissionDenied("Only a QA user releases a shipment.")
        try:
            shipment_release(shipment=shipment, user=request.user)
        except Conflict as exc:
            self.message_user(request, str(exc.detail), messages.ERROR)
            return self._back(shipment, "release")
        self.message_user(request, f"Shipment {shipment.tracking_number} released.", messages.SUCCESS)
        return self._back(shipment)

    def acknowledge_view(self, request, object_id, alert_id):
        shipment = self._shipment_or_404(request, object_id)
        if request.method != "POST":
            return self._back(shipment, "alerts")
        if not has_role(request.user, Role.COORDINATOR):
            raise PermissionDenied("Alerts are acknowledged by a coordinator.")
        # Through the reverse relation; acknowledging is the alerts app's own service.
        from alerts.services import AlertNotOpen, alert_acknowledge

        alert = shipment.alerts.filter(pk=alert_id).first()
        if alert is None:
            raise Http404("No such alert on this shipment.")
        form = AcknowledgeForm(request.POST)
        if not form.is_valid():
            self.message_user(request, f"Alert {alert.pk} was not acknowledged: say what is being done about it "
                                       f"(a comment is required).", messages.ERROR)
            return self._back(shipment, "alerts")
        try:
            alert_acknowledge(alert=alert, comment=form.cleaned_data["comment"], via="admin", user=request.user)
        except AlertNotOpen as exc:
            self.message_user(request, str(exc), messages.WARNING)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
        else:
            self.message_user(request, f"Alert {alert.pk} acknowledged; escalation stopped.", messages.SUCCESS)
        return self._back(shipment, "alerts")

    def dispose_view(self, request, object_id, excursion_id):
        """The electronic signature of a disposition (21 CFR 11.50): a QA user, not the one who
        acknowledged the alert, re-enters their password; printed name, time and meaning are
        recorded by ``excursion_dispose``."""
        shipment = self._shipment_or_404(request, object_id)
        excursion = shipment.excursions.select_related("logger").filter(pk=excursion_id).first()
        if excursion is None:
            raise Http404("No such excursion on this shipment.")
        if not has_role(request.user, Role.QA):
            raise PermissionDenied("Only a QA user signs a disposition.")
        acknowledged = getattr(excursion, "alerts", None)
        you_acknowledged = acknowledged is not None and acknowledged.filter(acknowledged_by=request.user).exists()
        form = DispositionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                disposition = excursion_dispose(excursion=excursion, user=request.user, **form.cleaned_data)
            except PermissionDenied as exc:
                form.add_error("password" if "password" in str(exc) else None, str(exc))
            except ValidationError as exc:
                for field_name, errors in exc.message_dict.items():
                    form.add_error(field_name if field_name in form.fields else None, errors)
            except Conflict as exc:
                form.add_error(None, str(exc.detail))
            else:
                self.message_user(request, (
                    f"Excursion {excursion.pk}: {disposition.get_decision_display()} signed by "
                    f"{disposition.signed_name} at {local_time(disposition.signed_at, shipment.destination.timezone, seconds=True)}"
                    f" ({disposition.meaning})."), messages.SUCCESS)
                return self._back(shipment, "excursions")
        zone = shipment.destination.timezone
        return TemplateResponse(request, "admin/shipments/shipment/disposition.html", {
            **self.admin_site.each_context(request),
            "title": f"Sign a disposition: excursion {excursion.pk} on {shipment.tracking_number}",
            "opts": self.opts,
            "original": shipment,
            "shipment": shipment,
            "excursion": excursion,
            "started": local_time(excursion.started_at, zone),
            "ended": local_time(excursion.ended_at, zone) if excursion.ended_at else "still open",
            "history": [(d, local_time(d.signed_at, zone, seconds=True)) for d in excursion.dispositions.all()],
            "form": form,
            "signer": signer_name(request.user),
            "meanings": [(Decision(key).label, text) for key, text in MEANINGS.items()],
            "you_acknowledged": you_acknowledged,
            "back_url": reverse(f"{self.admin_site.name}:shipments_shipment_change", args=[shipment.pk]),
            "now": local_time(timezone.now(), zone),
        })


class AcknowledgeForm(forms.Form):
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2, "cols": 40, "placeholder":
                              "What is being done about it (required)"}),
                              help_text="Recorded with your name and the time.")


class DispositionForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices, widget=forms.RadioSelect)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
                             help_text="Why this decision: the evidence you reviewed.")
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
                               strip=False, help_text="Re-enter your password to sign.")


@admin.register(Excursion)
class ExcursionAdmin(ReadOnlyAdmin):
    list_display = ["shipment", "kind", "severity", "status", "logger", "threshold_c", "started_at", "ended_at",
                    "duration_min", "peak_c", "detected_at"]
    list_filter = ["status", "severity", "kind"]
    search_fields = ["shipment__tracking_number", "shipment__coi", "logger__serial"]
    list_select_related = ["shipment", "logger"]
    date_hierarchy = "started_at"


@admin.register(Disposition)
class DispositionAdmin(ReadOnlyAdmin):
    list_display = ["excursion", "decision", "signed_name", "signed_at", "meaning"]
    list_filter = ["decision"]


@admin.register(Reading)
class ReadingAdmin(ReadOnlyAdmin):
    list_display = ["logger", "recorded_at", "temperature_c", "latitude", "longitude", "tilt_deg", "battery_pct"]
    list_filter = ["logger"]
    search_fields = ["logger__serial"]
    show_full_result_count = False
    list_select_related = ["logger"]
    # Newest stored first, by primary key: the readings table is the one that grows, and a sort
    # or a date hierarchy on recorded_at across every logger would scan all of it.
    ordering = ["-id"]


@admin.register(ReadingConflict)
class ReadingConflictAdmin(admin.ModelAdmin):
    list_display = ["logger", "recorded_at", "stored_temperature_c", "temperature_c", "batch", "received_at",
                    "reviewed_by", "reviewed_at"]
    list_filter = ["reviewed_at"]
    search_fields = ["logger__serial"]
    readonly_fields = ["logger", "recorded_at", "temperature_c", "stored_temperature_c", "values", "batch",
                       "received_at", "reviewed_by", "reviewed_at"]
    fields = [*readonly_fields, "review_note"]
    actions = ["mark_reviewed"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Mark reviewed (the stored value stands)")
    def mark_reviewed(self, request, queryset):
        from django.utils import timezone

        from .audit import audit_record

        for conflict in queryset.filter(reviewed_at__isnull=True):
            conflict.reviewed_by, conflict.reviewed_at = request.user, timezone.now()
            conflict.save(update_fields=["reviewed_by", "reviewed_at"])
            audit_record(actor=request.user, action="conflict.review", obj=conflict,
                         data={"stored": conflict.stored_temperature_c, "received": conflict.temperature_c})


@admin.register(IngestBatch)
class IngestBatchAdmin(ReadOnlyAdmin):
    list_display = ["id", "source", "logger", "submitted_by", "received_at", "accepted", "duplicates", "conflicts"]
    list_filter = ["source"]


@admin.register(MonitorState)
class MonitorStateAdmin(ReadOnlyAdmin):
    list_display = ["shipment", "logger", "role", "evaluated_at", "last_reading_at", "dirty_from"]
    exclude = ["state"]


class UploadForm(forms.Form):
    # Empty files reach the service, which refuses them in the API's words.
    file = forms.FileField(allow_empty_file=True,
                           help_text="The logger's own export (CSV, Berlinger, LogTag, HOBO, EPCIS …).")
    logger = forms.ModelChoiceField(Logger.objects.all(), required=False, to_field_name="serial",
                                    help_text="Leave empty when the file names its logger.")
    format = forms.ChoiceField(choices=[("", "Detect from the file"), *[(f, f) for f in KNOWN_FORMATS]],
                               required=False)


@admin.register(Upload)
class UploadAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "format", "logger", "status", "progress_bar", "rows", "accepted", "duplicates",
                    "conflicts", "rejected", "created_at"]
    list_filter = ["status", "format"]
    list_select_related = ["logger"]

    @admin.display(description="progress")
    def progress_bar(self, obj):
        return format_html('<progress value="{}" max="100"></progress> {}%', int(obj.progress * 100),
                           int(obj.progress * 100))

    def changelist_view(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        extra_context["can_upload"] = has_role(request.user, Role.COORDINATOR)
        # The list refreshes itself while a file is being read, so the progress moves.
        extra_context["in_progress"] = Upload.objects.filter(
            status__in=(UploadStatus.QUEUED, UploadStatus.PROCESSING)).exists()
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        return [path("new/", self.admin_site.admin_view(self.upload_view), name="shipments_upload_new"),
                *super().get_urls()]

    def upload_view(self, request):
        """A logger file from the admin, through the same service as ``POST /api/v1/uploads/``."""
        from .uploads import UploadRefused, upload_receive

        if not has_role(request.user, Role.COORDINATOR):
            raise PermissionDenied("Logger files are uploaded here by a coordinator.")
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                upload = upload_receive(uploaded=form.cleaned_data["file"], user=request.user,
                                        logger=form.cleaned_data["logger"], fmt=form.cleaned_data["format"] or None)
            except UploadRefused as refused:
                form.add_error("format" if refused.field == "format" else "file", refused.message)
            else:
                upload.refresh_from_db()
                reason = (upload.device_metadata or {}).get("timezone_reason", "")
                self.message_user(request, (
                    f"Received {upload.original_name} ({upload.format}, {upload.size_bytes} bytes, SHA-256 "
                    f"{upload.sha256[:12]}…): {upload.get_status_display().lower()}. Times without a zone are read "
                    f"in {upload.timezone}" + (f": {reason}." if reason else ".")), messages.SUCCESS)
                return HttpResponseRedirect(reverse(f"{self.admin_site.name}:shipments_upload_changelist"))
        return TemplateResponse(request, "admin/shipments/upload/upload_form.html", {
            **self.admin_site.each_context(request),
            "title": "Upload a logger file",
            "opts": self.opts,
            "form": form,
            "formats": KNOWN_FORMATS,
        })


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_name", "action", "object_type", "object_id", "shipment"]
    list_filter = ["action"]
    search_fields = ["object_id", "actor_name", "shipment__tracking_number"]
    list_select_related = ["shipment"]
