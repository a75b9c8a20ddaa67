from django.db import IntegrityError, transaction

from .models import Customer


def save_customer_for_intake(
    *, phone: str, name: str, email: str, preferred_channels: list[str]
) -> Customer:
    """The customer with this phone (E.164), created if new, with the details given at intake.

    The phone is unique: the receptionist's look-up filled the form from the stored customer, so
    what comes back is their current name, email and channels.
    """
    fields = {"name": name, "email": email, "preferred_channels": preferred_channels}
    try:
        with transaction.atomic():
            customer, _created = Customer.objects.update_or_create(phone=phone, defaults=fields)
    except IntegrityError:
        # Another receptionist created this customer a moment ago.
        customer = Customer.objects.get(phone=phone)
        for key, value in fields.items():
            setattr(customer, key, value)
        customer.save()
    return customer
