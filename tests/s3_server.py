"""A real S3-compatible HTTP server for the tests: moto's server mode on a free loopback
port, in a thread of the test process, with one bucket."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

CREDENTIALS = {
    "S3_ACCESS_KEY_ID": "testing-key",
    "S3_SECRET_ACCESS_KEY": "testing-secret",
    "S3_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def s3_server() -> Iterator[dict[str, str]]:
    """The app configuration of a new, empty bucket on a server of its own, for the span of
    the block (moto keeps its buckets per process, so each block gets a bucket of its own)."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    bucket = f"field-photos-{uuid.uuid4().hex[:12]}"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=CREDENTIALS["S3_REGION"],
            aws_access_key_id=CREDENTIALS["S3_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["S3_SECRET_ACCESS_KEY"],
        ).create_bucket(Bucket=bucket)
        yield {"S3_BUCKET": bucket, "S3_ENDPOINT_URL": endpoint, **CREDENTIALS}
    finally:
        server.stop()
