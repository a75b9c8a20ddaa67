"""Russian dates: the month in the genitive ("5 декабря 2026 г."), short dates with dots.
Numbers keep Django's Russian separators (a space between thousands, a comma before decimals)."""

from django.conf.locale.ru.formats import *  # noqa: F403  (input formats, separators)

DATE_FORMAT = "j E Y г."
DATETIME_FORMAT = "j E Y г., H:i"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
MONTH_DAY_FORMAT = "j E"
YEAR_MONTH_FORMAT = "F Y"
TIME_FORMAT = "H:i"
