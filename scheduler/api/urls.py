from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("branches", views.BranchViewSet)
router.register("employees", views.EmployeeViewSet)
router.register("resources", views.ResourceViewSet)
router.register("appointments", views.AppointmentViewSet, basename="appointment")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("", include(router.urls)),
]
