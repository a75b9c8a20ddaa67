import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repaircenter.settings")
application = get_wsgi_application()

# What is loaded now (Django, the apps, their modules and classes) lives as long as the
# process: moved out of the garbage collector's reach, so that its full passes do not walk it
# again. Each such pass walked some 140,000 objects, 50–100 ms every few hundred pages (a
# fifth to a third of a millisecond a page, at a million orders).
gc.freeze()
