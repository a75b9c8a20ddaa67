"""The texts a new installation starts with, one per event and channel; the manager edits them in
the admin. SMS texts stay within one GSM-7 segment for a usual order; the telephone ones are the
script the caller reads."""

EMAIL_SIGNATURE = """
{{ center.name }}{% if center.address %}
{{ center.address }}{% endif %}{% if center.phone %}
{{ center.phone }}{% endif %}{% if center.hours %}
{{ center.hours }}{% endif %}"""

DEFAULTS = {
    ("order_received", "sms"): (
        "",
        "{{ center.name }}: we have your {{ order.equipment }}, order {{ order.number }}. "
        "Follow it here: {{ order.link }}",
    ),
    ("order_received", "email"): (
        "We have your {{ order.equipment }}: order {{ order.number }}",
        """Hello {{ customer.name }},

Thank you for leaving your {{ order.equipment }} with us. Your order number is {{ order.number }}.

We aim to finish the diagnostics by {{ order.diagnosis_due }}. You will then receive an estimate to approve or refuse; nothing is repaired without your approval.

Follow your order, see the estimate and write to us here:
{{ order.link }}

Keep the paper intake order you were given: you will need it to collect your equipment.
""" + EMAIL_SIGNATURE,
    ),
    ("order_received", "phone"): (
        "",
        "Hello, this is {{ center.name }} about order {{ order.number }}, your "
        "{{ order.equipment }}. We have it and will send the estimate by "
        "{{ order.diagnosis_due }}. Please keep the paper intake order.",
    ),
    ("estimate_ready", "sms"): (
        "",
        "Estimate for order {{ order.number }}: {{ order.estimate_total }}. Approve or refuse "
        "by {{ order.decision_due }}: {{ order.link }}",
    ),
    ("estimate_ready", "email"): (
        "Estimate for order {{ order.number }}: {{ order.estimate_total }}",
        """Hello {{ customer.name }},

The diagnostics of your {{ order.equipment }} (order {{ order.number }}) are done. The estimate comes to {{ order.estimate_total }}.

See what we found and what we propose, and approve or refuse the estimate, here:
{{ order.link }}

You may also call us or come in. We wait for your decision until {{ order.decision_due }}; if we have no answer by then, the equipment is returned unrepaired.
""" + EMAIL_SIGNATURE,
    ),
    ("estimate_ready", "phone"): (
        "",
        "Hello, this is {{ center.name }} about order {{ order.number }}, your "
        "{{ order.equipment }}. The estimate is ready: {{ order.estimate_total }}. Would you "
        "like us to go ahead? If not sure, the details are on the link in your order; we wait "
        "until {{ order.decision_due }}.",
    ),
    ("decision_reminder", "sms"): (
        "",
        "Order {{ order.number }} waits for your decision on the estimate, until "
        "{{ order.decision_due }}: {{ order.link }}",
    ),
    ("decision_reminder", "email"): (
        "Order {{ order.number }} is waiting for your decision",
        """Hello {{ customer.name }},

The estimate for your {{ order.equipment }} (order {{ order.number }}, {{ order.estimate_total }}) is still waiting for your decision.

Approve or refuse it here: {{ order.link }}

If we have no decision by {{ order.decision_due }}, the equipment is returned to you unrepaired.
""" + EMAIL_SIGNATURE,
    ),
    ("decision_reminder", "phone"): (
        "",
        "Hello, this is {{ center.name }} about order {{ order.number }}, your "
        "{{ order.equipment }}. The estimate of {{ order.estimate_total }} still needs your "
        "decision, by {{ order.decision_due }}. Would you like us to go ahead?",
    ),
    ("ready_repaired", "sms"): (
        "",
        "{{ order.number }}: your {{ order.equipment }} is repaired. Bring the paper order to "
        "collect it. {{ order.link }}",
    ),
    ("ready_repaired", "email"): (
        "Your {{ order.equipment }} is repaired: order {{ order.number }}",
        """Hello {{ customer.name }},

Your {{ order.equipment }} (order {{ order.number }}) is repaired, has passed its test and is ready to collect.

Amount to pay on collection: {{ order.balance_due }}.
Please bring the paper intake order you were given; we hand the equipment over against it.

Details: {{ order.link }}
""" + EMAIL_SIGNATURE,
    ),
    ("ready_repaired", "phone"): (
        "",
        "Hello, this is {{ center.name }} about order {{ order.number }}. Your "
        "{{ order.equipment }} is repaired and ready to collect; the amount to pay is "
        "{{ order.balance_due }}. Please bring the paper intake order. We are open "
        "{{ center.hours }}.",
    ),
    ("ready_unrepaired", "sms"): (
        "",
        "{{ order.number }}: collect your {{ order.equipment }}, not repaired, with the paper "
        "order. {{ order.link }}",
    ),
    ("ready_unrepaired", "email"): (
        "Your {{ order.equipment }} is ready to collect: order {{ order.number }}",
        """Hello {{ customer.name }},

Your {{ order.equipment }} (order {{ order.number }}) is ready to collect. It has not been repaired.

Amount to pay on collection: {{ order.balance_due }}.
Please bring the paper intake order you were given; we hand the equipment over against it.

Details: {{ order.link }}
""" + EMAIL_SIGNATURE,
    ),
    ("ready_unrepaired", "phone"): (
        "",
        "Hello, this is {{ center.name }} about order {{ order.number }}. Your "
        "{{ order.equipment }} is ready to collect; it has not been repaired. The amount to pay "
        "is {{ order.balance_due }}. Please bring the paper intake order.",
    ),
    ("storage_reminder", "sms"): (
        "",
        "Order {{ order.number }} waits for you until {{ order.storage_due }}. Bring the "
        "paper order. {{ order.link }}",
    ),
    ("storage_reminder", "email"): (
        "Order {{ order.number }} is waiting for you",
        """Hello {{ customer.name }},

Your {{ order.equipment }} (order {{ order.number }}) is still waiting for you at our center.

We keep it until {{ order.storage_due }}. After that date it may be disposed of, as the terms you signed at intake say.

Please bring the paper intake order. Details: {{ order.link }}
""" + EMAIL_SIGNATURE,
    ),
    ("storage_reminder", "phone"): (
        "",
        "Hello, this is {{ center.name }} about order {{ order.number }}, your "
        "{{ order.equipment }}. It is still waiting for you; we keep it until "
        "{{ order.storage_due }}. Please collect it with the paper intake order.",
    ),
    ("disposal_warning", "sms"): (
        "",
        "{{ order.number }}: storage ended {{ order.storage_due }}; we may now dispose of it. "
        "Call {{ center.phone }}. {{ order.link }}",
    ),
    ("disposal_warning", "email"): (
        "Order {{ order.number }}: the storage period has ended",
        """Hello {{ customer.name }},

The storage period for your {{ order.equipment }} (order {{ order.number }}) ended on {{ order.storage_due }}.

The equipment may now be disposed of, as the terms you signed at intake say. If you still want it, call us on {{ center.phone }} or come in today with the paper intake order.

Details: {{ order.link }}
""" + EMAIL_SIGNATURE,
    ),
    ("disposal_warning", "phone"): (
        "",
        "Hello, this is {{ center.name }} about order {{ order.number }}, your "
        "{{ order.equipment }}. Its storage period ended on {{ order.storage_due }} and it may "
        "now be disposed of. Do you still want it?",
    ),
    ("advice_answered", "sms"): (
        "",
        "{{ center.name }}: {{ advice.answer }}",
    ),
    ("advice_answered", "email"): (
        "Your question to {{ center.name }}",
        """Hello {{ customer.name }},

You asked: {{ advice.question }}

Our answer:
{{ advice.answer }}
""" + EMAIL_SIGNATURE,
    ),
    ("advice_answered", "phone"): (
        "",
        "Hello, this is {{ center.name }} calling about the question you sent us. "
        "{{ advice.answer }}",
    ),
    ("link_resent", "sms"): (
        "",
        "{{ center.name }}: the link to your order {{ order.number }}, as asked: "
        "{{ order.link }}",
    ),
    ("link_resent", "email"): (
        "The link to your order {{ order.number }}",
        """Hello {{ customer.name }},

Someone asked on our website for the link to your order {{ order.number }} ({{ order.equipment }}). Here it is:
{{ order.link }}

If it was not you, there is nothing to do: the link shows the order to whoever has it, so keep it to yourself. Call us and we will replace it.
""" + EMAIL_SIGNATURE,
    ),
    ("link_resent", "phone"): (
        "",
        "Hello, this is {{ center.name }} about order {{ order.number }}, your "
        "{{ order.equipment }}. You asked for the link to your order: we send it by text "
        "message or email; it is also printed on your paper intake order.",
    ),
}
