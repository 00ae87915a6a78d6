import pytest

from nutgraf.errors import FetchError
from nutgraf.ingest import IngestOptions
from nutgraf.ingest.fetch import Fetcher, fetch, is_public_address


def test_fetches_a_page(server, local):
    fetched = fetch(f"{server}/article.html", local)
    assert fetched.url == f"{server}/article.html"
    assert fetched.content_type == "text/html"
    assert fetched.charset == "utf-8"
    assert b"Harbour council approves new ferry line" in fetched.content


def test_follows_redirects_up_to_the_cap(server, local):
    with Fetcher(local) as fetcher:
        assert fetcher.fetch(f"{server}/redirect/4").url == f"{server}/article.html"  # 5 hops
        with pytest.raises(FetchError, match=r"^too many redirects \(more than 5\)$"):
            fetcher.fetch(f"{server}/redirect/5")  # 6 hops
    with pytest.raises(FetchError, match="too many redirects"):
        fetch(f"{server}/redirect/1", IngestOptions(allow_private=True, max_redirects=1))


def test_redirect_to_another_scheme_is_refused(server, local):
    with pytest.raises(FetchError, match=r"^unsupported URL scheme 'ftp' \(only http and https\)$"):
        fetch(f"{server}/to-ftp", local)


@pytest.mark.parametrize(
    ("code", "line"), [(404, "HTTP 404 Not Found"), (503, "HTTP 503 Service Unavailable")]
)
def test_http_errors(server, local, code, line):
    with pytest.raises(FetchError, match=f"^{line}$"):
        fetch(f"{server}/status/{code}", local)


def test_size_limit_while_streaming_and_from_the_header(server):
    options = IngestOptions(allow_private=True, max_bytes=10_000)
    with pytest.raises(FetchError, match=r"^response over the size limit \(10 kB\)$"):
        fetch(f"{server}/big/50000", options)
    with pytest.raises(FetchError, match="response over the size limit"):
        fetch(f"{server}/declared-big", options)
    assert len(fetch(f"{server}/big/5000", options).content) < 10_000


def test_refused_connection(closed_port, local):
    with pytest.raises(
        FetchError, match=r"^could not connect to 127\.0\.0\.1: connection refused$"
    ):
        fetch(f"http://127.0.0.1:{closed_port}/", local)


def test_unknown_host():
    with pytest.raises(FetchError, match=r"^could not resolve host no-such-host\.invalid$"):
        fetch("http://no-such-host.invalid/news", IngestOptions())


def test_timeout(server):
    with pytest.raises(FetchError, match=r"^timed out after 0\.5 s$"):
        fetch(f"{server}/slow", IngestOptions(allow_private=True, timeout=0.5))


def test_private_addresses_refused_by_default(server):
    with pytest.raises(
        FetchError,
        match=r"^127\.0\.0\.1 is a private or reserved address \(pass --allow-private to allow\)$",
    ):
        fetch(f"{server}/article.html", IngestOptions())
    port = server.rsplit(":", 1)[1]
    with pytest.raises(
        FetchError, match=r"^localhost resolves to .*\(pass --allow-private to allow\)$"
    ):
        fetch(f"http://localhost:{port}/article.html", IngestOptions())


@pytest.mark.parametrize(
    "url", ["ftp://example.org/a.txt", "file:///etc/passwd", "example.org/news"]
)
def test_only_http_and_https(url):
    with pytest.raises(FetchError, match="unsupported URL scheme"):
        fetch(url, IngestOptions())


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("127.0.0.1", False),
        ("169.254.169.254", False),  # cloud metadata endpoints live here
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:10.0.0.1", False),
    ],
)
def test_is_public_address(address, public):
    assert is_public_address(address) is public


def test_size_limit_holds_for_the_decompressed_body(server):
    options = IngestOptions(allow_private=True, max_bytes=10_000)
    with pytest.raises(FetchError, match="response over the size limit"):
        fetch(f"{server}/gzip/50000", options)  # about 1 kB on the wire
    assert len(fetch(f"{server}/gzip/5000", options).content) >= 5000
