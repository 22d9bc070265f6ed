from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("regions", views.RegionViewSet, basename="region")
router.register("facilities", views.FacilityViewSet, basename="facility")
router.register("sponsors", views.SponsorViewSet, basename="sponsor")
router.register("couriers", views.CourierViewSet, basename="courier")
router.register("profiles", views.ProfileViewSet, basename="profile")
router.register("dewars", views.DewarViewSet, basename="dewar")
router.register("loggers", views.LoggerViewSet, basename="logger")
router.register("shipments", views.ShipmentViewSet, basename="shipment")
router.register("excursions", views.ExcursionViewSet, basename="excursion")
router.register("uploads", views.UploadViewSet, basename="upload")

urlpatterns = [
    path("loggers/<str:serial>/readings/", views.LoggerReadingsView.as_view(), name="logger-readings"),
    *router.urls,
]
