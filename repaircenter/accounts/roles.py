"""The staff roles of the center. Each is a Django group; one user may hold several."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RECEPTIONIST = "receptionist", _("Receptionist")
    TECHNICIAN = "technician", _("Technician")
    CONSULTANT = "consultant", _("Consultant")
    CASHIER = "cashier", _("Cashier")
    MANAGER = "manager", _("Manager")


STAFF_ROLES = frozenset(Role.values)

# Who telephones customers and deals with messages that did not get through.
CALLERS = (Role.RECEPTIONIST, Role.CONSULTANT, Role.MANAGER)
