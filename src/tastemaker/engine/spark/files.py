"""Folders under any path or URI the Spark session reaches (``file://``, ``hdfs://``, ``s3a://``),
through Hadoop's FileSystem: the one place the Spark engine checks, deletes, renames and lists.

    >>> files = Files(spark)
    >>> files.rename("hdfs://nn/lake/x._staging-1", "hdfs://nn/lake/x")
"""

from __future__ import annotations

from ...errors import EngineError


class Files:
    """Hadoop's FileSystem of the session `spark`; every path is a URI (or a path its default
    file system resolves)."""

    def __init__(self, spark):
        self._jvm, self._conf = spark._jvm, spark._jsc.hadoopConfiguration()

    def _at(self, uri: str):
        path = self._jvm.org.apache.hadoop.fs.Path(uri)
        return path, path.getFileSystem(self._conf)

    def exists(self, uri: str) -> bool:
        path, fs = self._at(uri)
        return bool(fs.exists(path))

    def delete(self, uri: str) -> None:
        """Delete the folder or file at `uri` (nothing if there is none)."""
        path, fs = self._at(uri)
        if fs.exists(path) and not fs.delete(path, True):
            raise EngineError(f"Cannot delete {uri}")

    def rename(self, source: str, target: str) -> None:
        """Move `source` to `target` (whose parent is made if needed) in one step of its file system."""
        src, _ = self._at(source)
        dst, fs = self._at(target)
        fs.mkdirs(dst.getParent())
        if not fs.rename(src, dst):
            raise EngineError(f"Cannot move {source} to {target} (the file system refused the rename)")

    def folders(self, uri: str) -> list[str]:
        """The names of the folders directly under `uri` (none when it does not exist)."""
        path, fs = self._at(uri)
        if not fs.exists(path):
            return []
        return [s.getPath().getName() for s in fs.listStatus(path) if s.isDirectory()]
