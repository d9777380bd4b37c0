"""Where bill files come from: a local path or an S3 prefix, listed and fetched the same way.

DuckDB reads only local files here (its httpfs extension is not available offline), so S3 objects
are downloaded with boto3 into a temporary directory that lives as long as the ``Source``.
Listing is cheap and never downloads, so a delivery that is already loaded costs one LIST call.

An object's key is chosen by whoever can write to the bucket, and it becomes a local file name, so
listing refuses (one line naming the key) any key whose name would leave the download directory
(a ``..`` segment), would be the local name of another object too (``a//b`` and ``a/./b`` are
``a/b`` on disk, so one download would replace the other, a manifest for instance), would sit below
another object's name, or has control characters. Refusing rather than renaming: a manifest finds
its data files by name, so a renamed file would load as something it is not, and such keys never
occur in a real billing export. Downloads also never follow a symbolic link out of the directory.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from finops.errors import FinopsError, UsageError

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class SourceFile:
    """One file of a source: where it is, its path below the source root, and its version."""

    uri: str
    rel: str
    size: int
    version: str
    """S3 ETag, or size and modification time of a local file: what "the same file" means."""
    modified: datetime | None = None
    """When the file was written (S3 LastModified, Cloud Storage update time, file mtime), UTC:
    part of a delivery's evidence of how recent it is (finops/connectors/evidence.py)."""

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
            target = _inside(self._tmp, f)
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
    if not location.strip():  # Path("") is the current directory, which nobody means to ingest
        raise UsageError("no source given: name a directory, a file or an s3:// prefix")
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
    return SourceFile(str(path.resolve()), rel, st.st_size, f"{st.st_size}:{st.st_mtime_ns}", _utc(st.st_mtime))


def _list_s3(location: str, endpoint_url: str | None, tmp: Path) -> Source:
    import boto3  # deferred: importing boto3 costs ~0.3 s, and most runs read local files

    bucket, _, prefix = location[len("s3://") :].partition("/")
    if not bucket:
        raise FinopsError(f"{location}: no bucket in the S3 address")
    endpoint_url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    client = boto3.client("s3", endpoint_url=checked_endpoint_url(endpoint_url) if endpoint_url else None)
    files: list[SourceFile] = []
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                key = obj["Key"]
                if key.endswith("/"):
                    continue
                rel = key[len(prefix) :].lstrip("/") if key != prefix else PurePosixPath(key).name
                etag = str(obj.get("ETag", "")).strip('"')
                files.append(SourceFile(f"s3://{bucket}/{key}", rel, int(obj["Size"]), etag, _utc(obj.get("LastModified"))))
    except Exception as exc:
        raise FinopsError(f"{location}: cannot list: {_aws_message(exc)}") from None
    if not files:
        raise FinopsError(f"{location}: no objects under this prefix")
    return Source(location, _safe_local_names(files), _s3_client=client, _bucket=bucket, _tmp=tmp)


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
            rel = blob.name[len(prefix) :].lstrip("/") if blob.name != prefix else PurePosixPath(blob.name).name
            version = str(getattr(blob, "generation", None) or getattr(blob, "etag", "") or "")
            files.append(SourceFile(f"gs://{bucket_name}/{blob.name}", rel, int(blob.size or 0), version,
                                    _utc(getattr(blob, "updated", None))))
    except Exception as exc:
        raise FinopsError(f"{location}: cannot list: {_aws_message(exc)}") from None
    if not files:
        raise FinopsError(f"{location}: no objects under this prefix")
    bucket = client.bucket(bucket_name)

    def download(f: SourceFile, target: Path) -> None:
        bucket.blob(f.uri.split("/", 3)[3]).download_to_filename(str(target))

    return Source(location, _safe_local_names(files), _tmp=tmp, _download=download)


def checked_endpoint_url(url: str) -> str:
    """``url`` if it is http(s)://HOST[:PORT][/path]; else a usage error that never repeats a
    password: botocore echoes the endpoint in its own errors, credentials included."""
    parts = urlsplit(url)
    shown = url if "@" not in parts.netloc else f"{parts.scheme}://***@{parts.netloc.rpartition('@')[2]}"
    if "@" in parts.netloc:
        raise UsageError(f"endpoint URL {shown}: refused: it carries credentials; give them the usual way "
                         "(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile or a role), never in the URL")
    try:
        parts.port  # noqa: B018 -- raises on a port that is not a number
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and not CONTROL_CHARACTERS.search(url)
    except ValueError:
        valid = False
    if not valid:
        raise UsageError(f"endpoint URL {_printable(shown)}: expected http://HOST[:PORT] or https://HOST[:PORT]")
    return url


def _safe_local_names(files: list[SourceFile]) -> list[SourceFile]:
    """``files`` with each ``rel`` in its normal form (no empty or ``.`` segments), after refusing
    any key that would not map to a local name of its own inside the download directory."""
    by_name: dict[str, SourceFile] = {}  # normal local name -> the listed file
    for f in files:
        if CONTROL_CHARACTERS.search(f.uri):
            raise FinopsError(f"{_printable(f.uri)}: refused: the key has control characters")
        parts = PurePosixPath(f.rel).parts
        if ".." in parts:
            raise FinopsError(f"{f.uri}: refused: a '..' in the key would write outside the download directory")
        name = str(PurePosixPath(*parts)) if parts and parts[0] != "/" else ""
        if not name or name == ".":
            raise FinopsError(f"{f.uri}: refused: the key names no file below the prefix")
        if name in by_name:  # keys are unique, so one of the two is not in normal form: name that one
            odd, other = (by_name[name], f) if f.rel == name else (f, by_name[name])
            raise FinopsError(f"{odd.uri}: refused: its local name is also that of {other.uri}")
        by_name[name] = f
    for name, f in by_name.items():
        above = next((by_name[str(p)] for p in PurePosixPath(name).parents if str(p) in by_name), None)
        if above is not None:
            raise FinopsError(f"{f.uri}: refused: its local name is below that of {above.uri}, a file")
    return [replace(f, rel=name) for name, f in by_name.items()]


def _inside(directory: Path, f: SourceFile) -> Path:
    """Where ``f`` is downloaded: below ``directory``, through no symbolic link, even one planted
    after listing (Cloud Storage's client would open the link's target for writing)."""
    target = directory
    for part in PurePosixPath(f.rel).parts:
        target = target / part
        if target.is_symlink():
            raise FinopsError(f"{f.uri}: refused: {target} is a symbolic link, which would take the download "
                              "outside its directory")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FinopsError(f"{f.uri}: cannot download: {target.parent}: {exc.strerror}") from None
    return target


def _utc(value: float | datetime | None) -> datetime | None:
    """A modification time (epoch seconds or an aware datetime) as naive UTC, as the warehouse keeps times."""
    if value is None:
        return None
    moment = datetime.fromtimestamp(value, UTC) if isinstance(value, (int, float)) else value
    if not isinstance(moment, datetime):
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _printable(text: str) -> str:
    """``text`` with control characters escaped, so a hostile name stays one harmless line."""
    return CONTROL_CHARACTERS.sub(lambda m: m[0].encode("unicode_escape").decode(), text)


def _aws_message(exc: Exception) -> str:
    """botocore's messages are one line already; credentials never appear in them."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        err = response["Error"]
        return f"{err.get('Code', '')} {err.get('Message', '')}".strip()
    return str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__

