import pytest

from repaircenter.core.checks import check_site_url


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://localhost", "http://[::1]:8000"])
def test_a_loopback_site_url_is_a_deploy_warning(settings, url):
    settings.SITE_URL = url
    assert [w.id for w in check_site_url(None)] == ["repaircenter.W001"]


def test_plain_http_site_url_behind_https_is_a_deploy_warning(settings):
    settings.SITE_URL, settings.HTTPS = "http://repair.example.com", True
    assert [w.id for w in check_site_url(None)] == ["repaircenter.W002"]


def test_a_public_https_site_url_passes(settings):
    settings.SITE_URL, settings.HTTPS = "https://repair.example.com", True
    assert check_site_url(None) == []
