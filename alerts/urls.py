from django.urls import path

from . import views

app_name = "alerts"

urlpatterns = [
    path("ack/<str:token>/", views.acknowledge_link, name="acknowledge-link"),
    path("sms/inbound", views.sms_inbound, name="sms-inbound"),
]
