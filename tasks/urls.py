from django.urls import path, re_path

from tasks import views

urlpatterns = [
    path("tasks/", views.task_list, name="task-list"),
    path("tasks/new/", views.task_create, name="task-create"),
    path("tasks/bulk/", views.task_bulk, name="task-bulk"),
    path("tasks/retry-all/", views.task_retry_all, name="task-retry-all"),
    path("tasks/<int:pk>/", views.task_detail, name="task-detail"),
    re_path(
        r"^tasks/(?P<pk>[0-9]+)/(?P<action>stop|retry|delete)/$",
        views.task_action,
        name="task-action",
    ),
    path("tasks/<int:pk>/failure.png", views.task_failure_screenshot, name="task-failure-shot"),
    path("materials/", views.material_list, name="material-list"),
    path("materials/upload/", views.material_upload, name="material-upload"),
    path("materials/<int:pk>/", views.material_edit, name="material-edit"),
    path("materials/<int:pk>/delete/", views.material_delete, name="material-delete"),
    path("materials/<int:pk>/file", views.material_file, name="material-file"),
]
