from django.urls import path

from . import views, views_organisations, views_staff

app_name = "accounts"
urlpatterns = [
    path("", views.home, name="home"),
    path("registrieren/", views.register, name="register"),
    path("registrieren/gesendet/", views.register_done, name="register_done"),
    path("bestaetigen/<str:token>/", views.verify, name="verify"),
    path("bestaetigen-erneut/", views.resend, name="resend"),
    path("anmelden/", views.login_view, name="login"),
    path("anmelden/zweiter-faktor/", views.second_factor, name="second_factor"),
    path("anmelden/eid/", views.eid_login_start, name="eid_login"),
    path("2fa/einrichten/", views.totp_setup, name="totp_setup"),
    path("2fa/ausschalten/", views.totp_disable, name="totp_disable"),
    path("profil/", views.profile_view, name="profile"),
    path("vertrauensniveau/", views.step_up, name="step_up"),
    path("vertrauensniveau/starten/", views.step_up_start, name="step_up_start"),
    path("eid/test/", views.test_eid, name="test_eid"),
    path("eid/oidc/<slug:key>/callback", views.oidc_callback, name="oidc_callback"),
    path("eid/saml/<slug:key>/metadata", views.saml_metadata, name="saml_metadata"),
    path("eid/saml/<slug:key>/acs", views.saml_acs, name="saml_acs"),
    path("daten/export/", views.data_export, name="export"),
    path("loeschen/", views.delete_account, name="delete"),
    path("organisationen/", views_organisations.index, name="organisations"),
    path("organisationen/<int:pk>/", views_organisations.detail, name="organisation"),
    path("organisationen/handeln/", views_organisations.act, name="act"),
    path("einladung/<str:token>/", views_organisations.invitation, name="invitation"),
    path("abmelden/", views.logout_view, name="logout"),
    path("ueberall-abmelden/", views.logout_everywhere, name="logout_everywhere"),
    path("passwort-vergessen/", views.PasswordResetView.as_view(), name="password_reset"),
    path("passwort-vergessen/gesendet/", views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("passwort-neu/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("personal-einladung/<uidb64>/<token>/", views_staff.InvitationView.as_view(),
         name="staff_invitation"),
]
