"""Where bill files come from: a local path or an S3 prefix, listed and fetched the same way.

DuckDB reads only local files here (its httpfs extension is not available offline), so S3 objects
are downloaded with boto3 into a temporary directory that lives as long as the ``Source``.
Listing is cheap and never downloads, so a delivery that is already loaded costs one LIST call.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from finops.errors import FinopsError


@dataclass(frozen=True)
class SourceFile:
    """One file of a source: where it is, its path below the source root, and its version."""

    uri: str
    rel: str
    size: int
    version: str
    """S3 ETag, or size and modification time of a local file: what "the same file" means."""

    @property
    def name(self) -> str:
        return PurePosixPath(self.rel).name

    @property
    def parent(self) -> str:
        return str(PurePosixPath(self.rel).parent)


@dataclass
class Source:
    """A listed source; ``local_path`` fetches a file on first use."""

    root: str
    files: list[SourceFile]
    _s3_client: object | None = None
    _bucket: str = ""
    _tmp: Path | None = None
    _fetched: dict[str, Path] = field(default_factory=dict)
    _download: Callable[[SourceFile, Path], None] | None = None
    """How to fetch one file of a non-S3 remote source (Cloud Storage) into a local path."""

    def by_rel(self) -> dict[str, SourceFile]:
        return {f.rel: f for f in self.files}

    def local_path(self, f: SourceFile) -> Path:
        if self._s3_client is None and self._download is None:
            return Path(f.uri)
        if f.uri not in self._fetched:
            assert self._tmp is not None
            target = self._tmp / f.rel
            target.parent.mkdir(parents=True, exist_ok=True)
            key = f.uri.split("/", 3)[3]
            try:
                if self._download is not None:
                    self._download(f, target)
                else:
                    self._s3_client.download_file(self._bucket, key, str(target))
            except Exception as exc:  # botocore and google-api-core raise many unrelated classes
                raise FinopsError(f"{f.uri}: cannot download: {_aws_message(exc)}") from None
            self._fetched[f.uri] = target
        return self._fetched[f.uri]

    def local_copy(self, suffix: str) -> Path:
        """Every file ending in ``suffix``, fetched where needed; the local folder that mirrors the
        source, for readers that take a folder (Spark)."""
        wanted = [f for f in self.files if f.name.endswith(suffix)]
        if not wanted:
            raise FinopsError(f"{self.root}: no {suffix} files here")
        for f in wanted:
            self.local_path(f)
        return self._tmp if self._tmp is not None else Path(self.root)

    def release(self, f: SourceFile) -> None:
        """Delete a downloaded copy once landed, so a year of S3 deliveries never fills the disk."""
        local = self._fetched.pop(f.uri, None)
        if local is not None:
            local.unlink(missing_ok=True)

    def read_text(self, f: SourceFile) -> str:
        try:
            return self.local_path(f).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise FinopsError(f"{f.uri}: cannot read: {exc}") from None


@contextmanager
def open_source(
    location: str | os.PathLike[str], *, endpoint_url: str | None = None, gcs_client: object | None = None
) -> Iterator[Source]:
    """List ``location`` (a file, a directory, ``s3://bucket/prefix`` or ``gs://bucket/prefix``)
    and clean up after."""
    location = str(location)
    if location.startswith("s3://"):
        with tempfile.TemporaryDirectory(prefix="finops-s3-") as tmp:
            yield _list_s3(location, endpoint_url, Path(tmp))
    elif location.startswith("gs://"):
        with tempfile.TemporaryDirectory(prefix="finops-gcs-") as tmp:
            yield _list_gcs(location, gcs_client, Path(tmp))
    else:
        yield _list_local(Path(location))


def _list_local(path: Path) -> Source:
    if not path.exists():
        raise FinopsError(f"{path}: no such file or directory")
    if path.is_file():
        return Source(str(path), [_local_file(path, path.name)])
    files = [
        _local_file(p, p.relative_to(path).as_posix())
        for p in sorted(path.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
    ]
    return Source(str(path), files)


def _local_file(path: Path, rel: str) -> SourceFile:
    st = path.stat()
    return SourceFile(str(path.resolve()), rel, st.st_size, f"{st.st_size}:{st.st_mtime_ns}")


def _list_s3(location: str, endpoint_url: str | None, tmp: Path) -> Source:
    import boto3  # deferred: importing boto3 costs ~0.3 s, and most runs read local files

    bucket, _, prefix = location[len("s3://") :].partition("/")
    if not bucket:
        raise FinopsError(f"{location}: no bucket in the S3 address")
    endpoint_url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    client = boto3.client("s3", endpoint_url=endpoint_url)
    files: list[SourceFile] = []
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                key = obj["Key"]
                if key.endswith("/"):
                    continue
                rel = key[len(prefix) :].lstrip("/") if prefix and not key == prefix else PurePosixPath(key).name
                etag = str(obj.get("ETag", "")).strip('"')
                files.append(SourceFile(f"s3://{bucket}/{key}", rel, int(obj["Size"]), etag))
    except Exception as exc:
        raise FinopsError(f"{location}: cannot list: {_aws_message(exc)}") from None
    if not files:
        raise FinopsError(f"{location}: no objects under this prefix")
    return Source(location, files, _s3_client=client, _bucket=bucket, _tmp=tmp)


def _list_gcs(location: str, client: object | None, tmp: Path) -> Source:
    """List a Cloud Storage prefix with google-cloud-storage (Application Default Credentials)."""
    bucket_name, _, prefix = location[len("gs://") :].partition("/")
    if not bucket_name:
        raise FinopsError(f"{location}: no bucket in the Cloud Storage address")
    if client is None:
        try:
            from google.cloud import storage  # deferred: heavy, and only gs:// needs it
        except ImportError:
            raise FinopsError(f"{location}: reading Cloud Storage needs google-cloud-storage (pip install 'finops[gcp]')") from None
        try:
            client = storage.Client()
        except Exception as exc:  # google.auth.exceptions.DefaultCredentialsError, ...
            raise FinopsError(
                f"{location}: no Google Cloud credentials (run `gcloud auth application-default login` or set "
                f"GOOGLE_APPLICATION_CREDENTIALS): {_aws_message(exc)}"
            ) from None
    files: list[SourceFile] = []
    try:
        for blob in client.list_blobs(bucket_name, prefix=prefix):
            if blob.name.endswith("/"):
                continue
            rel = blob.name[len(prefix) :].lstrip("/") if prefix and blob.name != prefix else PurePosixPath(blob.name).name
            version = str(getattr(blob, "generation", None) or getattr(blob, "etag", "") or "")
            files.append(SourceFile(f"gs://{bucket_name}/{blob.name}", rel, int(blob.size or 0), version))
    except Exception as exc:
        raise FinopsError(f"{location}: cannot list: {_aws_message(exc)}") from None
    if not files:
        raise FinopsError(f"{location}: no objects under this prefix")
    bucket = client.bucket(bucket_name)

    def download(f: SourceFile, target: Path) -> None:
        bucket.blob(f.uri.split("/", 3)[3]).download_to_filename(str(target))

    return Source(location, files, _tmp=tmp, _download=download)


def _aws_message(exc: Exception) -> str:
    """botocore's messages are one line already; credentials never appear in them."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        err = response["Error"]
        return f"{err.get('Code', '')} {err.get('Message', '')}".strip()
    return str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__

