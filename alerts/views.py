"""Pages outside the API: the acknowledge page behind the e-mail link, and Twilio's inbound SMS
webhook. Thin: they check the request, then call services."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from . import services
from .links import ack_link_read
from .models import Alert, Channel, Contact
from .selectors import alert_facts

log = logging.getLogger(__name__)


def _refused(request: HttpRequest, *, status: int, reason: str) -> HttpResponse:
    return render(request, "alerts/ack_refused.html", {"reason": reason}, status=status)


@require_http_methods(["GET", "POST"])
def acknowledge_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the alert and asks for a comment; only POST acknowledges (mail scanners follow
    GET links)."""
    try:
        link = ack_link_read(token)
    except signing.SignatureExpired:
        return _refused(request, status=410, reason=(
            f"This link has expired (links are valid for {settings.ALERT_ACK_LINK_MAX_AGE_H} hours). "
            "Use the link in the latest alert e-mail, reply to the alert SMS, or acknowledge in the admin."))
    except signing.BadSignature:
        return _refused(request, status=404, reason="This acknowledge link is not valid.")
    alert = Alert.objects.filter(pk=link.alert_id).first()
    contact = Contact.objects.filter(pk=link.contact_id).first() if link.contact_id else None
    if alert is None or contact is None:
        return _refused(request, status=404, reason="This acknowledge link is not valid.")
    context = {"facts": alert_facts(alert), "alert": alert, "contact": contact, "error": "", "comment": ""}
    status = 200
    if request.method == "POST":
        comment = request.POST.get("comment", "")
        try:
            alert = services.alert_acknowledge(alert=alert, comment=comment, via=Channel.EMAIL, contact=contact)
            context.update(alert=alert, done=True)
        except ValidationError as exc:
            context.update(error=" ".join(exc.message_dict.get("comment", exc.messages)), comment=comment)
            status = 400
        except services.AlertNotOpen as exc:
            context.update(alert=exc.alert)
    return render(request, "alerts/ack_form.html", context, status=status)


def _twiml(text: str, *, status: int = 200) -> HttpResponse:
    reply = MessagingResponse()
    reply.message(text)
    return HttpResponse(str(reply), content_type="application/xml", status=status)


@csrf_exempt
@require_POST
def sms_inbound(request: HttpRequest) -> HttpResponse:
    """Twilio's webhook for replies: ``ACK <code> <comment>``, answered in TwiML. Refused (403)
    unless X-Twilio-Signature verifies against our auth token and public URL."""
    signature = request.headers.get("X-Twilio-Signature", "")
    url = settings.PUBLIC_BASE_URL + request.get_full_path()
    token = settings.TWILIO_AUTH_TOKEN
    if not token or not signature or not RequestValidator(token).validate(url, request.POST, signature):
        log.warning("Inbound SMS refused: bad or missing X-Twilio-Signature (url %s).", url)
        return HttpResponseForbidden("Invalid Twilio signature.")
    reply = services.sms_reply_handle(from_number=request.POST.get("From", ""), body=request.POST.get("Body", ""))
    return _twiml(reply)
