from django.urls import path

from devices import views

urlpatterns = [
    path("devices/", views.device_list, name="device-list"),
    path("devices/connect/", views.device_connect, name="device-connect"),
    path("devices/<str:serial>/", views.device_detail, name="device-detail"),
    path("devices/<str:serial>/edit/", views.device_edit, name="device-edit"),
    path("devices/<str:serial>/screenshot/", views.device_screenshot, name="device-screenshot"),
    path("devices/<str:serial>/screen.png", views.device_thumbnail, name="device-thumbnail"),
    path("accounts/", views.account_list, name="account-list"),
    path("accounts/new/", views.account_create, name="account-create"),
    path("accounts/import/", views.account_import, name="account-import"),
    path("accounts/export.csv", views.account_export, name="account-export"),
    path("accounts/<int:pk>/", views.account_edit, name="account-edit"),
    path("accounts/<int:pk>/toggle/", views.account_toggle, name="account-toggle"),
    path("accounts/<int:pk>/delete/", views.account_delete, name="account-delete"),
]
