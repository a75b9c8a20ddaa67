import csv
import datetime

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from repaircenter.accounts.permissions import role_required
from repaircenter.accounts.roles import Role

from .figures import Period
from .forms import PeriodForm, default_period
from .reports import REPORTS, WARRANTY_REPORTS, all_reports


def _period(request) -> tuple[PeriodForm, Period | None]:
    """The period asked for, of the center chosen in the header (all: the whole chain)."""
    today = timezone.localdate()
    if "first" in request.GET or "last" in request.GET:
        form = PeriodForm(request.GET)
    else:
        first, last = default_period(today)
        form = PeriodForm({"first": first.isoformat(), "last": last.isoformat()})
    if not form.is_valid():
        return form, None
    center = request.workplace.center
    return form, Period(form.cleaned_data["first"], form.cleaned_data["last"],
                        frozenset({center.pk}) if center else None)


def _shortcuts(today: datetime.date) -> list[tuple[str, datetime.date, datetime.date]]:
    month_start = today.replace(day=1)
    last_month_end = month_start - datetime.timedelta(days=1)
    return [
        (_("This month"), month_start, today),
        (_("Last month"), last_month_end.replace(day=1), last_month_end),
        (_("Last three months"), default_period(today)[0], today),
        (_("This year"), today.replace(month=1, day=1), today),
        (_("Last year"), datetime.date(today.year - 1, 1, 1),
         datetime.date(today.year - 1, 12, 31)),
    ]


@require_GET
@role_required(Role.MANAGER)
def index(request):
    form, period = _period(request)
    return render(
        request, "reports/index.html",
        {"form": form, "period": period, "reports": all_reports(period) if period else [],
         "center": request.workplace.center,
         "shortcuts": _shortcuts(timezone.localdate())},
        status=200 if period else 400,
    )


@require_GET
@role_required(Role.MANAGER)
def warranty(request):
    """Warranty returns per kind of equipment, per work and part, per technician, with the
    return rate: one GROUP BY each."""
    form, period = _period(request)
    return render(
        request, "reports/index.html",
        {"form": form, "period": period, "center": request.workplace.center,
         "reports": [build(period) for build in WARRANTY_REPORTS.values()] if period else [],
         "shortcuts": _shortcuts(timezone.localdate()), "page": "warranty"},
        status=200 if period else 400,
    )


# A cell that a spreadsheet would run as a formula starts with one of these.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    if text.startswith(FORMULA_START):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


@require_GET
@role_required(Role.MANAGER)
def csv_download(request, slug: str):
    """One report as a CSV file: the same columns and rows as the page."""
    build = REPORTS.get(slug) or WARRANTY_REPORTS.get(slug)
    if build is None:
        raise Http404
    form, period = _period(request)
    if period is None:
        return HttpResponse(" ".join(form.errors.get("__all__", [])) or _("Give a valid period."),
                            status=400, content_type="text/plain; charset=utf-8")
    report = build(period)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{slug}-{period.first:%Y-%m-%d}-{period.last:%Y-%m-%d}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow([_cell(str(c)) for c in report.columns])
    writer.writerows([_cell(cell) for cell in row] for row in report.rows)
    return response
