from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Demo data (`repaircenter demo_data`) and the benchmark's data generator
    (`repaircenter bench-data`): tools around the product, not part of its runtime. Nothing in
    the product imports this app; `repaircenter serve` calls its `demo_data` command by name."""

    name = "repaircenter.devtools"
    label = "devtools"
