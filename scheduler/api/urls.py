from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from . import views
from .permissions import ApiUser

router = DefaultRouter()
router.APIRootView = views.ApiRootView  # A2: the root and the schema need "REST-API nutzen" too
router.register("branches", views.BranchViewSet)
router.register("employees", views.EmployeeViewSet)
router.register("resources", views.ResourceViewSet)
router.register("appointments", views.AppointmentViewSet, basename="appointment")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(permission_classes=[ApiUser]), name="api-schema"),
    path("", include(router.urls)),
]
