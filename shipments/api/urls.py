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

# Files are named like files: no trailing slash (API.md writes .../report.pdf).
FILE_ACTIONS = {"readings.csv": "readings_csv", "readings.epcis.jsonld": "readings_epcis", "report.pdf": "report"}

urlpatterns = [
    path("loggers/<str:serial>/readings/", views.LoggerReadingsView.as_view(), name="logger-readings"),
    *[
        path(f"shipments/<str:tracking_number>/{name}", views.ShipmentViewSet.as_view({"get": action}),
             name=f"shipment-{action}-file")
        for name, action in FILE_ACTIONS.items()
        if hasattr(views.ShipmentViewSet, action)
    ],
    # The router would also serve them with a trailing slash: one address each is enough.
    *[u for u in router.urls if u.name not in {f"shipment-{a.replace('_', '-')}" for a in FILE_ACTIONS.values()}],
]
