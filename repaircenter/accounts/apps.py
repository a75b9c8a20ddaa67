from django.apps import AppConfig
from django.db.models.signals import post_migrate

# What the manager may edit in the admin until the settings pages arrive.
MANAGER_PERMISSIONS = [
    ("core", "centersettings", ("view", "change")),
    ("orders", "equipmentkind", ("view", "add", "change")),
    ("orders", "checklistitem", ("view", "add", "change", "delete")),
    ("orders", "pricelistentry", ("view", "add", "change", "delete")),
    ("core", "holiday", ("view", "add", "change", "delete")),
    ("customers", "customer", ("view", "change")),
    ("accounts", "user", ("view", "add", "change")),
    ("notifications", "messagetemplate", ("view", "change")),
]


def grant_manager_permissions(sender, using, **kwargs):
    from django.contrib.auth.models import Group, Permission

    manager = Group.objects.using(using).filter(name="manager").first()
    if manager is None:
        return
    for app_label, model, actions in MANAGER_PERMISSIONS:
        codenames = [f"{action}_{model}" for action in actions]
        manager.permissions.add(
            *Permission.objects.using(using).filter(
                content_type__app_label=app_label, codename__in=codenames
            )
        )


class AccountsConfig(AppConfig):
    name = "repaircenter.accounts"
    label = "accounts"

    def ready(self):
        # Every app signals after migrating; the last one finds all the permissions created.
        post_migrate.connect(grant_manager_permissions, dispatch_uid="grant_manager_permissions")

        # The users' rows each app server keeps for the staff's pages (accounts/backends.py).
        from django.contrib.auth.models import Group
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from . import backends
        from .models import User

        for signal in (post_save, post_delete):
            signal.connect(backends.user_saved_or_deleted, sender=User,
                           dispatch_uid=f"kept-users-user-{signal is post_save}")
            signal.connect(backends.role_saved_or_deleted, sender=Group,
                           dispatch_uid=f"kept-users-role-{signal is post_save}")
        m2m_changed.connect(backends.roles_given_or_taken, sender=User.groups.through,
                            dispatch_uid="kept-users-roles-changed")
