"""English dates as the pages have always written them: "5 December 2026", "05 Dec 2026 14:30".
The pages name these formats (|date:"DATE_FORMAT"), never a pattern of their own."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATE_FORMAT = "d M Y"
SHORT_DATETIME_FORMAT = "d M Y H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
TIME_FORMAT = "H:i"
