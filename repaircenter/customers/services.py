from django.db import IntegrityError, transaction

from repaircenter.core.languages import default_language

from .models import Customer


def save_customer_for_intake(
    *, phone: str, name: str, email: str, preferred_channels: list[str], language: str = "",
    new_customer_language: str = "",
) -> Customer:
    """The customer with this phone (E.164), created if new, with the details given at intake.

    The phone is unique: the receptionist's look-up filled the form from the stored customer, so
    what comes back is their current name, email and channels.
    """
    fields = {"name": name, "email": email, "preferred_channels": preferred_channels}
    if language:  # chosen at the counter; else a returning customer keeps theirs
        fields["language"] = language
    # A new customer with no language chosen gets `new_customer_language` (the center's).
    create = {**fields, "language": language or new_customer_language
                               or default_language()}
    try:
        with transaction.atomic():
            customer, _created = Customer.objects.update_or_create(
                phone=phone, defaults=fields, create_defaults=create)
    except IntegrityError:
        # Another receptionist created this customer a moment ago.
        customer = Customer.objects.get(phone=phone)
        for key, value in fields.items():
            setattr(customer, key, value)
        customer.save()
    return customer


class PhoneTaken(Exception):
    """Another customer already has this phone number."""

    def __init__(self, customer: Customer):
        super().__init__(customer.pk)
        self.customer = customer


def create_customer(
    *, phone: str, name: str, email: str = "", preferred_channels: list[str] | None = None
) -> Customer:
    """A new customer; PhoneTaken if the phone (E.164) is someone's already."""
    try:
        with transaction.atomic():
            return Customer.objects.create(
                phone=phone, name=name, email=email, preferred_channels=preferred_channels or []
            )
    except IntegrityError:
        existing = Customer.objects.filter(phone=phone).first()
        if existing is None:
            raise
        raise PhoneTaken(existing) from None


def update_contacts(*, customer: Customer, **changes) -> Customer:
    """Change the customer's name, phone (E.164), email or preferred channels; PhoneTaken if
    the new phone is someone else's."""
    allowed = {"name", "phone", "email", "preferred_channels", "language"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"Not a contact detail: {sorted(unknown)}")
    for key, value in changes.items():
        setattr(customer, key, value)
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        existing = Customer.objects.filter(phone=customer.phone).exclude(pk=customer.pk).first()
        if existing is None:
            raise
        raise PhoneTaken(existing) from None
    return customer
