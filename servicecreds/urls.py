from django.contrib.auth import views as auth_views
from django.urls import path

from . import setup_views, views
from .login import ThrottledAuthenticationForm

urlpatterns = [
    path("", views.account, name="account"),
    path("login/", auth_views.LoginView.as_view(template_name="account/login.html",
                                                 authentication_form=ThrottledAuthenticationForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="login"), name="logout"),
    path("credentials/<int:pk>/password/", views.set_password, name="account-credential-password"),
    path("credentials/<int:pk>/test/", views.test_connection, name="account-credential-test"),
    path("credentials/<int:pk>/setup/", setup_views.own_setup, name="account-credential-setup"),
    path("credentials/<int:pk>/qr/", setup_views.own_qr, name="account-credential-qr"),
]
