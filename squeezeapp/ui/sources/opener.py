"""Turning what the user hands over into a source: paths and folders (scanned off the GUI thread),
a video, a camera, the clipboard; and the list of images being browsed.

Whatever cannot be opened is said on the canvas: what it was and why it was ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QMimeData, QObject, Signal
from PySide6.QtGui import QImage

from squeezeapp.core.imaging.decode import IMAGE_EXTENSIONS, is_video_path
from squeezeapp.core.imaging.formats import (
    OPTIONAL_FORMATS,
    LeftOutKind,
    left_out_kind,
    unsupported_reason,
)
from squeezeapp.core.imaging.scan import ImageScan, LeftOut, is_sidecar_of, scan_images
from squeezeapp.core.imaging.source_kinds import SourceKind
from squeezeapp.core.imaging.sources import (
    CameraInfo,
    CameraSource,
    FrameSource,
    VideoFileSource,
    parse_source,
)
from squeezeapp.ui.common.canvas_message import Level, MessageBoard, Topic
from squeezeapp.ui.common.jobs import run_job
from squeezeapp.ui.live.session import LiveSession
from squeezeapp.ui.sources.image_list import ImageList

logger = logging.getLogger(__name__)


NOT_FOUND = "not found"


@dataclass(frozen=True)
class ScanResult:
    images: list[Path] = field(default_factory=list)
    videos: list[Path] = field(default_factory=list)
    ignored: list[tuple[Path, str]] = field(default_factory=list)  # path, why
    folders: list[Path] = field(default_factory=list)  # the folders listed that held images
    left_out: ImageScan = field(default_factory=ImageScan)  # what else folders / a drop held

    @property
    def missing(self) -> list[Path]:
        return [path for path, why in self.ignored if why == NOT_FOUND]

    def ignored_summary(self, include_videos: bool) -> str:
        parts = []
        if include_videos and self.videos:
            count = len(self.videos)
            parts.append(f"{count} video{'s' * (count > 1)} "
                         "(open one at a time with File ▸ Open Video)")
        parts += [f"{path.name or path} ({why})" for path, why in self.ignored]
        return "; ".join(parts)


def scan_paths(paths: list[Path]) -> ScanResult:
    """Sort dropped or opened paths into images, videos and the rest (with reasons).
    Reads folders: run it off the GUI thread."""
    result = ScanResult()
    left_out: list[LeftOut] = []
    counts: dict[LeftOutKind, int] = {}
    for path in paths:
        if path.is_dir():
            scan = scan_images([path])
            found = list(scan.images)
            left_out.extend(scan.left_out)
            for kind, count in scan.counts:
                counts[kind] = counts.get(kind, 0) + count
            result.images.extend(found)
            if found:
                result.folders.append(path)
            else:
                result.ignored.append((path, "a folder with no images in it"))
        elif not path.exists():
            result.ignored.append((path, NOT_FOUND))
        elif is_video_path(path):
            result.videos.append(path)
        elif path.suffix.lower() in IMAGE_EXTENSIONS:
            result.images.append(path)
        else:
            why = (unsupported_reason(path.name) if path.suffix.lower() in OPTIONAL_FORMATS
                   else f"not an image or a video ({path.suffix or 'no'} file type)")
            result.ignored.append((path, why))
    # a sidecar dropped with its photo is part of it: not said as ignored or left out
    result.ignored[:] = [(path, why) for path, why in result.ignored
                         if not is_sidecar_of(path, result.images)]
    # files dropped as they are: counted beside the folders' (a missing one is said apart)
    given = [LeftOut(path, left_out_kind(path.name), "a video (open one at a time with "
                     "File ▸ Open Video)") for path in result.videos]
    given += [LeftOut(path, left_out_kind(path.name), why) for path, why in result.ignored
              if why != NOT_FOUND and not path.is_dir()]
    for entry in given:
        counts[entry.kind] = counts.get(entry.kind, 0) + 1
    left_out.extend(given)
    return ScanResult(result.images, result.videos, result.ignored, result.folders,
                      ImageScan(tuple(result.images), tuple(left_out), tuple(counts.items())))


class SourceOpener(QObject):
    camerasChanged = Signal()  # a probe finished (or started)
    imagesScanned = Signal(list)  # the images a dialog, drop or paste gave (several: a batch)
    openWorked = Signal(object, object)  # path, SourceKind (a reopenable one): worth remembering
    pathsMissing = Signal(list)  # paths asked for that do not exist (any more)

    def __init__(self, session: LiveSession, board: MessageBoard,
                 camera_lister: Callable[[], list[CameraInfo]], parent=None) -> None:
        super().__init__(parent)
        self.session, self.board = session, board
        self.camera_lister = camera_lister
        self.images = ImageList()
        self.cameras: list[CameraInfo] | None = None  # None: not probed yet
        self.probing = False
        self.resolution: tuple[int, int] | None = None
        self._scan = 0  # the newest scan; older ones finishing late are ignored
        self.left_out = ImageScan()  # of the latest scan, for the results view's line
        # the one path opened (an image, a folder, a video) waiting to prove that it works
        self._pending: tuple[Path, SourceKind] | None = None
        session.imageFailed.connect(lambda path, message: self.images.fail(Path(path), message))
        session.sourceWorked.connect(self._on_source_worked)

    # --- paths ----------------------------------------------------------------------------
    def open_text(self, text: str) -> None:
        """The --source argument or a desktop hand-over: camera:N, a video, an image, a folder."""
        source = parse_source(text)
        if isinstance(source, int):
            self.open_camera(source)
        elif isinstance(source, Path):
            self.open_paths([source])
        else:
            self.open_live(source)

    def open_paths(self, paths: list[Path]) -> None:
        """Files and folders from a dialog, a drop or a paste, scanned off the GUI thread."""
        self._scan += 1
        scan = self._scan
        self._pending = (paths[0], SourceKind.IMAGE) if len(paths) == 1 else None
        self.board.clear(Topic.SOURCE, Level.ERROR)  # the user has moved on from that failure
        self.board.clear(Topic.LEFT_OUT)
        names = ", ".join(p.name or str(p) for p in paths[:3]) + ("…" if len(paths) > 3 else "")
        self.board.info(Topic.OPEN, f"Opening {names}…")
        wanted = list(paths)
        run_job(lambda _ctx: scan_paths(wanted), name="folder scan",
                returned=lambda result: self._on_scanned(scan, paths, result),
                errored=lambda error: self._on_scanned(scan, paths, None, error))

    def _on_scanned(self, scan: int, paths: list[Path], result: ScanResult | None,
                    error: Exception | None = None) -> None:
        if scan != self._scan:
            return  # the user opened something else meanwhile
        self.board.clear(Topic.OPEN)
        names = ", ".join(p.name or str(p) for p in paths)
        if result is None:
            self.board.error(Topic.OPEN, f"Could not look into {names}", str(error))
        elif result.images:
            skipped = result.ignored_summary(include_videos=True)
            if skipped:  # said where the user looks: a video among pictures is not lost
                self.board.info(Topic.LEFT_OUT, "Not everything was opened", f"Ignored: {skipped}")
            if self._pending is not None and self._pending[0] in result.folders:
                folder, self._pending = self._pending[0], None
                # listed with images: that is working
                self.openWorked.emit(folder, SourceKind.FOLDER)
            self.left_out = result.left_out
            if len(result.images) > 1:
                self.open_batch(result.images)
            else:
                self.open_images(result.images)
            self.imagesScanned.emit(result.images)
        elif len(result.videos) == 1:
            self.open_video(result.videos[0])
        elif len(paths) == 1 and result.missing:
            self.board.error(Topic.OPEN, f"Could not open {names}",
                             "It was not found (moved, renamed, deleted, or on a drive not "
                             "connected now).")
        else:
            what = "this drop" if len(paths) > 1 else names
            self.board.error(Topic.OPEN, f"Nothing to open in {what}",
                             "Ignored: " + result.ignored_summary(include_videos=True))
        if result is not None and result.missing:
            self.pathsMissing.emit(result.missing)

    def _on_source_worked(self, source: str) -> None:
        if self._pending is not None and str(self._pending[0]) == source:
            path, kind = self._pending
            self._pending = None
            self.openWorked.emit(path, kind)

    def open_images(self, images: list[Path], start: int = 0) -> None:
        self.images = ImageList(images, start)
        self._show_current()

    def open_batch(self, images: list[Path]) -> None:
        """Several images go to the results view: none is opened in the picture view until the
        user asks for one (an unreadable first file is no error, nor a second decode and
        inference beside the batch)."""
        self.images = ImageList(images)
        self.session.clear_picture()

    def _show_current(self) -> None:
        if self.images.current is not None:
            self.session.show_image(self.images.current, self.images.position)

    def browse(self, move: Callable[[ImageList], Path | None]) -> None:
        """← → Home End: `move` is one of ImageList's next/previous/home/end."""
        if self.session.live_source is None and move(self.images) is not None:
            self._show_current()

    def open_video(self, path: Path) -> None:
        self.board.clear(Topic.LEFT_OUT)
        self.images = ImageList()
        self._pending = (path, SourceKind.VIDEO)
        self.session.open_live(VideoFileSource(path, loop=self.session.loop_video))

    # --- cameras and other live sources -----------------------------------------------------
    def open_camera(self, index: int) -> None:
        name = next((c.name for c in self.cameras or [] if c.index == index), None)
        # mirroring is the capture thread's (one switch for cameras and videos)
        self.open_live(CameraSource(index, self.resolution, mirror=False, name=name))

    def open_live(self, source: FrameSource) -> None:
        """Show `source` live instead of the images being browsed."""
        self.board.clear(Topic.LEFT_OUT)
        self.images = ImageList()
        self._pending = None
        self.session.open_live(source)

    def probe_cameras(self) -> None:
        """Find the cameras that open, off the GUI thread (opening one can take seconds)."""
        if self.probing:
            return
        self.probing = True
        lister = self.camera_lister
        run_job(lambda _ctx: lister(), name="camera probe", returned=self._on_cameras,
                errored=lambda error: self._on_cameras([], error))
        self.camerasChanged.emit()

    def _on_cameras(self, cameras: list[CameraInfo], error: Exception | None = None) -> None:
        self.probing = False
        self.cameras = list(cameras)
        if error is not None:
            self.board.note(Level.ERROR, f"Looking for cameras failed: {error}")
        self.camerasChanged.emit()

    # --- clipboard --------------------------------------------------------------------------
    def accept_mime(self, mime: QMimeData | None) -> bool:
        """Files, folders or image data, from a drop or the clipboard."""
        if mime is None:
            return False
        local = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
        if local:
            self.open_paths(local)
            return True
        if mime.hasImage():
            image = mime.imageData()
            if isinstance(image, QImage) and not image.isNull():
                self.images = ImageList()
                self._pending = None
                self.session.show_pasted(image)
                return True
        offered = ", ".join(mime.formats()[:4]) or "nothing"
        remote = [url.toString() for url in mime.urls() if not url.isLocalFile()]
        why = (f"links to {', '.join(remote)} (only files on this computer are opened)" if remote
               else f"data of type {offered}")
        self.board.error(Topic.OPEN, "Nothing to open", f"This held {why}. Paste or drop image "
                         "files, folders, a video, or a picture.")
        return False
