"""The texts a new installation starts with, one per event and channel; the manager edits them in
the admin. SMS texts stay within one GSM-7 segment for a usual order; the telephone ones are the
script the caller reads.

Each text is a message of the translation catalogue: `builtin` gives it in a customer's language
(the email signature is names only, and is never translated)."""

from django.utils.translation import gettext, gettext_noop, override

EMAIL_SIGNATURE = """
{{ center.name }}{% if center.address %}
{{ center.address }}{% endif %}{% if center.phone %}
{{ center.phone }}{% endif %}{% if center.hours %}
{{ center.hours }}{% endif %}"""

DEFAULTS = {
    ("order_received", "sms"): (
        "",
        gettext_noop("{{ center.name }}: we have your {{ order.equipment }}, order {{ order.number }}. "
        "Follow it here: {{ order.link }}"),
    ),
    ("order_received", "email"): (
        gettext_noop("We have your {{ order.equipment }}: order {{ order.number }}"),
        gettext_noop("""Hello {{ customer.name }},

Thank you for leaving your {{ order.equipment }} with us. Your order number is {{ order.number }}.

We aim to finish the diagnostics by {{ order.diagnosis_due }}. You will then receive an estimate to approve or refuse; nothing is repaired without your approval.

Follow your order, see the estimate and write to us here:
{{ order.link }}

Keep the paper intake order you were given: you will need it to collect your equipment.
""") + EMAIL_SIGNATURE,
    ),
    ("order_received", "phone"): (
        "",
        gettext_noop("Hello, this is {{ center.name }} about order {{ order.number }}, your "
        "{{ order.equipment }}. We have it and will send the estimate by "
        "{{ order.diagnosis_due }}. Please keep the paper intake order."),
    ),
    ("estimate_ready", "sms"): (
        "",
        gettext_noop("Estimate for order {{ order.number }}: {{ order.estimate_total }}. Approve or refuse "
        "by {{ order.decision_due }}: {{ order.link }}"),
    ),
    ("estimate_ready", "email"): (
        gettext_noop("Estimate for order {{ order.number }}: {{ order.estimate_total }}"),
        gettext_noop("""Hello {{ customer.name }},

The diagnostics of your {{ order.equipment }} (order {{ order.number }}) are done. The estimate comes to {{ order.estimate_total }}.

See what we found and what we propose, and approve or refuse the estimate, here:
{{ order.link }}

You may also call us or come in. We wait for your decision until {{ order.decision_due }}; if we have no answer by then, the equipment is returned unrepaired.
""") + EMAIL_SIGNATURE,
    ),
    ("estimate_ready", "phone"): (
        "",
        gettext_noop("Hello, this is {{ center.name }} about order {{ order.number }}, your "
        "{{ order.equipment }}. The estimate is ready: {{ order.estimate_total }}. Would you "
        "like us to go ahead? If not sure, the details are on the link in your order; we wait "
        "until {{ order.decision_due }}."),
    ),
    ("decision_reminder", "sms"): (
        "",
        gettext_noop("Order {{ order.number }} waits for your decision on the estimate, until "
        "{{ order.decision_due }}: {{ order.link }}"),
    ),
    ("decision_reminder", "email"): (
        gettext_noop("Order {{ order.number }} is waiting for your decision"),
        gettext_noop("""Hello {{ customer.name }},

The estimate for your {{ order.equipment }} (order {{ order.number }}, {{ order.estimate_total }}) is still waiting for your decision.

Approve or refuse it here: {{ order.link }}

If we have no decision by {{ order.decision_due }}, the equipment is returned to you unrepaired.
""") + EMAIL_SIGNATURE,
    ),
    ("decision_reminder", "phone"): (
        "",
        gettext_noop("Hello, this is {{ center.name }} about order {{ order.number }}, your "
        "{{ order.equipment }}. The estimate of {{ order.estimate_total }} still needs your "
        "decision, by {{ order.decision_due }}. Would you like us to go ahead?"),
    ),
    ("ready_repaired", "sms"): (
        "",
        gettext_noop("{{ order.number }}: your {{ order.equipment }} is repaired. Bring the paper order to "
        "collect it. {{ order.link }}"),
    ),
    ("ready_repaired", "email"): (
        gettext_noop("Your {{ order.equipment }} is repaired: order {{ order.number }}"),
        gettext_noop("""Hello {{ customer.name }},

Your {{ order.equipment }} (order {{ order.number }}) is repaired, has passed its test and is ready to collect.

Amount to pay on collection: {{ order.balance_due }}.
Please bring the paper intake order you were given; we hand the equipment over against it.

Details: {{ order.link }}
""") + EMAIL_SIGNATURE,
    ),
    ("ready_repaired", "phone"): (
        "",
        gettext_noop("Hello, this is {{ center.name }} about order {{ order.number }}. Your "
        "{{ order.equipment }} is repaired and ready to collect; the amount to pay is "
        "{{ order.balance_due }}. Please bring the paper intake order. We are open "
        "{{ center.hours }}."),
    ),
    ("ready_unrepaired", "sms"): (
        "",
        gettext_noop("{{ order.number }}: collect your {{ order.equipment }}, not repaired, with the paper "
        "order. {{ order.link }}"),
    ),
    ("ready_unrepaired", "email"): (
        gettext_noop("Your {{ order.equipment }} is ready to collect: order {{ order.number }}"),
        gettext_noop("""Hello {{ customer.name }},

Your {{ order.equipment }} (order {{ order.number }}) is ready to collect. It has not been repaired.

Amount to pay on collection: {{ order.balance_due }}.
Please bring the paper intake order you were given; we hand the equipment over against it.

Details: {{ order.link }}
""") + EMAIL_SIGNATURE,
    ),
    ("ready_unrepaired", "phone"): (
        "",
        gettext_noop("Hello, this is {{ center.name }} about order {{ order.number }}. Your "
        "{{ order.equipment }} is ready to collect; it has not been repaired. The amount to pay "
        "is {{ order.balance_due }}. Please bring the paper intake order."),
    ),
    ("storage_reminder", "sms"): (
        "",
        gettext_noop("Order {{ order.number }} waits for you until {{ order.storage_due }}. Bring the "
        "paper order. {{ order.link }}"),
    ),
    ("storage_reminder", "email"): (
        gettext_noop("Order {{ order.number }} is waiting for you"),
        gettext_noop("""Hello {{ customer.name }},

Your {{ order.equipment }} (order {{ order.number }}) is still waiting for you at our center.

We keep it until {{ order.storage_due }}. After that date it may be disposed of, as the terms you signed at intake say.

Please bring the paper intake order. Details: {{ order.link }}
""") + EMAIL_SIGNATURE,
    ),
    ("storage_reminder", "phone"): (
        "",
        gettext_noop("Hello, this is {{ center.name }} about order {{ order.number }}, your "
        "{{ order.equipment }}. It is still waiting for you; we keep it until "
        "{{ order.storage_due }}. Please collect it with the paper intake order."),
    ),
    ("disposal_warning", "sms"): (
        "",
        gettext_noop("{{ order.number }}: storage ended {{ order.storage_due }}; we may now dispose of it. "
        "Call {{ center.phone }}. {{ order.link }}"),
    ),
    ("disposal_warning", "email"): (
        gettext_noop("Order {{ order.number }}: the storage period has ended"),
        gettext_noop("""Hello {{ customer.name }},

The storage period for your {{ order.equipment }} (order {{ order.number }}) ended on {{ order.storage_due }}.

The equipment may now be disposed of, as the terms you signed at intake say. If you still want it, call us on {{ center.phone }} or come in today with the paper intake order.

Details: {{ order.link }}
""") + EMAIL_SIGNATURE,
    ),
    ("disposal_warning", "phone"): (
        "",
        gettext_noop("Hello, this is {{ center.name }} about order {{ order.number }}, your "
        "{{ order.equipment }}. Its storage period ended on {{ order.storage_due }} and it may "
        "now be disposed of. Do you still want it?"),
    ),
    ("advice_answered", "sms"): (
        "",
        gettext_noop("{{ center.name }}: {{ advice.answer }}"),
    ),
    ("advice_answered", "email"): (
        gettext_noop("Your question to {{ center.name }}"),
        gettext_noop("""Hello {{ customer.name }},

You asked: {{ advice.question }}

Our answer:
{{ advice.answer }}
""") + EMAIL_SIGNATURE,
    ),
    ("advice_answered", "phone"): (
        "",
        gettext_noop("Hello, this is {{ center.name }} calling about the question you sent us. "
        "{{ advice.answer }}"),
    ),
    ("link_resent", "sms"): (
        "",
        gettext_noop("{{ center.name }}: the link to your order {{ order.number }}, as asked: "
        "{{ order.link }}"),
    ),
    ("link_resent", "email"): (
        gettext_noop("The link to your order {{ order.number }}"),
        gettext_noop("""Hello {{ customer.name }},

Someone asked on our website for the link to your order {{ order.number }} ({{ order.equipment }}). Here it is:
{{ order.link }}

If it was not you, there is nothing to do: the link shows the order to whoever has it, so keep it to yourself. Call us and we will replace it.
""") + EMAIL_SIGNATURE,
    ),
    ("link_resent", "phone"): (
        "",
        gettext_noop("Hello, this is {{ center.name }} about order {{ order.number }}, your "
        "{{ order.equipment }}. You asked for the link to your order: we send it by text "
        "message or email; it is also printed on your paper intake order."),
    ),
}


def builtin(event: str, channel: str, language: str) -> tuple[str, str]:
    """The built-in subject and text of `event` on `channel`, in `language` (English where the
    catalogue has no translation)."""
    subject, body = DEFAULTS[(event, channel)]
    signature = EMAIL_SIGNATURE if body.endswith(EMAIL_SIGNATURE) else ""
    with override(language):
        return (gettext(subject) if subject else "",
                gettext(body.removesuffix(signature)) + signature if signature
                else gettext(body))
