import gc


def test_the_web_server_keeps_what_it_loaded_out_of_the_collectors_full_passes():
    """A web server's process (gunicorn loads repaircenter.wsgi) moves what it has loaded into
    the collector's permanent generation: a full pass then walks only what pages made since."""
    import repaircenter.wsgi  # noqa: F401

    assert gc.get_freeze_count() > 10_000  # Django and the apps: some 140,000 objects
