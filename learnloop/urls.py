from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from mozilla_django_oidc.views import (  # type: ignore[import-untyped]
    OIDCAuthenticationCallbackView,
    OIDCLogoutView,
)

from learnloop.accounts import sso
from learnloop.accounts.forms import LoginForm
from learnloop.api.urls import api, root

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("logout/", OIDCLogoutView.as_view(), name="logout"),  # at the provider too, if SSO
    # The library's own URLs, but for the sign-in view, which is loaded on first use (sso.py).
    path("oidc/authenticate/", sso.sign_in, name="oidc_authentication_init"),
    path(
        "oidc/callback/",
        OIDCAuthenticationCallbackView.as_view(),
        name="oidc_authentication_callback",
    ),
    path("oidc/logout/", OIDCLogoutView.as_view(), name="oidc_logout"),
    path("account/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "account/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "account/password/choose/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "account/password/chosen/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", root, name="api_root"),
    path("api/v1/", api.urls),
    path("", include("learnloop.accounts.urls")),
    path("", include("learnloop.incidents.urls")),
    path("", include("learnloop.analysis.urls")),
    path("", include("learnloop.actions.urls")),
    path("", include("learnloop.trackers.urls")),
    path("", include("learnloop.costs.urls")),
    path("", include("learnloop.insights.urls")),
    path("", include("learnloop.reviews.urls")),
    path("", include("learnloop.narratives.urls")),
    path("", include("learnloop.portal.urls")),
    path("", include("learnloop.publishing.urls")),
    path("", include("learnloop.audit.urls")),
    path("", include("learnloop.intake.urls")),
    path("", include("learnloop.chat.urls")),
    path("", include("learnloop.webhooks.urls")),
]
