"""The dashboard's pages: overview, phones, accounts, tasks and the media library."""

from django.urls import path, re_path

from web.views import devices, overview, tasks

urlpatterns = [
    path("", overview.overview, name="overview"),
    path("healthz", overview.healthz, name="healthz"),
    path("devices/", devices.device_list, name="device-list"),
    path("devices/connect/", devices.device_connect, name="device-connect"),
    path("devices/<str:serial>/", devices.device_detail, name="device-detail"),
    path("devices/<str:serial>/edit/", devices.device_edit, name="device-edit"),
    path("devices/<str:serial>/screenshot/", devices.device_screenshot, name="device-screenshot"),
    path("devices/<str:serial>/screen.png", devices.device_thumbnail, name="device-thumbnail"),
    path("accounts/", devices.account_list, name="account-list"),
    path("accounts/new/", devices.account_create, name="account-create"),
    path("accounts/import/", devices.account_import, name="account-import"),
    path("accounts/export.csv", devices.account_export, name="account-export"),
    path("accounts/<int:pk>/", devices.account_edit, name="account-edit"),
    path("accounts/<int:pk>/toggle/", devices.account_toggle, name="account-toggle"),
    path("accounts/<int:pk>/delete/", devices.account_delete, name="account-delete"),
    path("tasks/", tasks.task_list, name="task-list"),
    path("tasks/new/", tasks.task_create, name="task-create"),
    path("tasks/bulk/", tasks.task_bulk, name="task-bulk"),
    path("tasks/retry-all/", tasks.task_retry_all, name="task-retry-all"),
    path("tasks/<int:pk>/", tasks.task_detail, name="task-detail"),
    re_path(
        r"^tasks/(?P<pk>[0-9]+)/(?P<action>stop|retry|delete)/$",
        tasks.task_action,
        name="task-action",
    ),
    path("tasks/<int:pk>/failure.png", tasks.task_failure_screenshot, name="task-failure-shot"),
    path("materials/", tasks.material_list, name="material-list"),
    path("materials/upload/", tasks.material_upload, name="material-upload"),
    path("materials/<int:pk>/", tasks.material_edit, name="material-edit"),
    path("materials/<int:pk>/delete/", tasks.material_delete, name="material-delete"),
    path("materials/<int:pk>/file", tasks.material_file, name="material-file"),
]
