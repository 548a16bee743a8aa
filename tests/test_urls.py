from __future__ import annotations

import pytest

from dataport.urls import redact_password, redact_secret_of, split_password, with_password


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("s3://AKIA1:s3cr3t@bucket/out", "s3://AKIA1:***@bucket/out"),
        ("sftp://ann:p@ss/word@host:22/in", "sftp://ann:***@host:22/in"),
        ("https://example.org/data.csv", "https://example.org/data.csv"),
        (
            "s3://bucket/out?endpoint_url=https://u:pw@minio:9000",
            "s3://bucket/out?endpoint_url=https://u:***@minio:9000",
        ),
    ],
)
def test_a_password_in_a_url_is_hidden(url: str, shown: str) -> None:
    assert redact_password(url) == shown


def test_a_message_quoting_the_password_alone_hides_it_too() -> None:
    url = "s3://AKIA1:s3cr3t@bucket/x.csv"
    message = 'Invalid bucket name "AKIA1:s3cr3t@bucket" (from s3://AKIA1:s3cr3t@bucket/x.csv)'
    assert redact_secret_of(url, message) == (
        'Invalid bucket name "AKIA1:***@bucket" (from s3://AKIA1:***@bucket/x.csv)'
    )
    assert redact_secret_of("https://example.org/x", "plain") == "plain"


@pytest.mark.parametrize(
    "url",
    ["s3://AKIA1:s3cr%2Ft@bucket/out?endpoint_url=https://minio:9000", "sftp://ann:pw@host/in"],
)
def test_a_url_split_from_its_password_is_made_whole_again(url: str) -> None:
    shown, password = split_password(url)
    assert password is not None
    assert password not in shown
    assert with_password(shown, password) == url


@pytest.mark.parametrize("url", ["https://example.org/x", "s3://AKIA1:***@bucket/out", "/srv/out"])
def test_a_url_without_a_password_is_kept_as_it_is(url: str) -> None:
    assert split_password(url) == (url, None)
