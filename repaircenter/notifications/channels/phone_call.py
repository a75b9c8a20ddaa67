"""Telephone: a person makes the call. Sending puts the message in the staff queue "calls to
make", with the script and the number; the caller records whether the customer answered."""

from . import Receipt


class PhoneCallChannel:
    def send(self, message) -> Receipt:
        return Receipt(delivered=False, answer="waiting in the calls to make")
