"""The teach panel's work, run only inside one-shot jobs (ui/common/jobs.py): saving recorded
frames and added pictures, training, exporting. It owns its own base-model session for features,
so the live worker's model is never touched from here; a lock keeps one job in it at a time."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from squeezeapp.core.imaging.decode import read_image
from squeezeapp.core.inference.classifier import Classifier
from squeezeapp.core.teach.project import Project, TeachError
from squeezeapp.core.teach.train import TrainedProject, train_project

logger = logging.getLogger(__name__)

TAUGHT_FILE = "squeezeapp-taught.onnx"  # the live model, in the project folder (the app's own)
THUMB_SIDE = 72


@dataclass(frozen=True, eq=False)
class Saved:
    """Pictures saved into a class, with small thumbnails made off the GUI thread."""

    class_name: str
    paths: tuple[Path, ...]
    thumbnails: tuple[np.ndarray, ...]  # BGR uint8, at most THUMB_SIDE a side
    failures: tuple[str, ...]
    started: float = 0.0  # time.monotonic() when the frame was taken (the strip's latency)


@dataclass(frozen=True)
class Trained:
    result: TrainedProject
    model: Path | None  # the taught model written for the live view (None: not trained)
    problem: str = ""  # why the live model could not be written (a read-only project)


def centre_square(image: np.ndarray) -> np.ndarray:
    """The frame's centre square: what the model looks at (it resizes the shorter side and
    crops the centre), so a recorded example is seen in training as it was seen live."""
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return image[top:top + side, left:left + side]


def thumbnail(image: np.ndarray) -> np.ndarray:
    height, width = image.shape[:2]
    scale = THUMB_SIDE / max(height, width, 1)
    size = (max(1, int(width * scale)), max(1, int(height * scale)))
    return np.ascontiguousarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA))


class TeachEngine:
    """Everything the panel asks of the disk and the model; call only from job threads."""

    def __init__(self, base_model: Path) -> None:
        self.base_model = base_model
        self._classifier: Classifier | None = None
        self._lock = threading.Lock()

    def classifier(self) -> Classifier:
        if self._classifier is None:
            self._classifier = Classifier.load(self.base_model)
        return self._classifier

    def save_frames(self, project: Project, name: str, images: list[np.ndarray],
                    started: float = 0.0) -> Saved:
        paths, thumbs, failures = [], [], []
        with self._lock:
            for frame in images:
                image = centre_square(frame)
                try:
                    paths.append(project.add_frame(name, image))
                    thumbs.append(thumbnail(image))
                except TeachError as error:
                    failures.append(str(error))
        return Saved(name, tuple(paths), tuple(thumbs), tuple(failures), started)

    def add_files(self, project: Project, name: str, files: list[Path]) -> Saved:
        """Copy pictures into a class (never moved: the user's files stay where they are)."""
        from squeezeapp.core.imaging.decode import expand_image_paths

        paths, thumbs, failures = [], [], []
        with self._lock:
            for path in list(expand_image_paths(files, recursive=True))[:5000]:
                try:
                    image = read_image(path, min_side=THUMB_SIDE)  # only pictures that decode
                    paths.append(project.add_file(name, path))
                    thumbs.append(thumbnail(image))
                except (TeachError, OSError, ValueError) as error:
                    failures.append(f"{path.name}: {error}")
                except Exception as error:  # ImageReadError and friends: one line each
                    # its reason leaves out the path: the name is said once, in front
                    failures.append(f"{path.name}: {getattr(error, 'reason', None) or error}")
        return Saved(name, tuple(paths), tuple(thumbs), tuple(failures))

    def thumbnails(self, project: Project, per_class: int) -> list[Saved]:
        """The last `per_class` pictures of each class as thumbnails (for a reopened project)."""
        scan = project.scan()
        by_class: dict[int, list[Path]] = {}
        for example in scan.examples:
            by_class.setdefault(example.label, []).append(example.path)
        found = []
        for label, name in enumerate(scan.classes):
            paths, thumbs = [], []
            for path in by_class.get(label, [])[-per_class:]:
                try:
                    thumbs.append(thumbnail(read_image(path, min_side=THUMB_SIDE)))
                    paths.append(path)
                except Exception as error:  # an unreadable picture has no thumbnail
                    logger.debug("no thumbnail for %s: %s", path, error)
            found.append(Saved(name, tuple(paths), tuple(thumbs), ()))
        return found

    def remove_example(self, project: Project, path: Path) -> Path:
        """Move one example into the project's hidden `.removed` folder (Undo moves it back)."""
        trash = project.folder / ".removed" / path.parent.name
        try:
            trash.mkdir(parents=True, exist_ok=True)
            target = trash / path.name
            number = 2
            while target.exists():
                target = trash / f"{path.stem} ({number}){path.suffix}"
                number += 1
            path.rename(target)
        except OSError as error:
            raise TeachError(f"Cannot remove {path.name}: {error.strerror or error} "
                             "(nothing was lost)") from None
        return target

    def restore_example(self, removed: Path, original: Path) -> Path:
        try:
            if original.exists():
                raise TeachError(f"{original.name} is back already")
            removed.rename(original)
        except OSError as error:
            raise TeachError(f"Cannot restore {original.name}: {error.strerror or error}"
                             ) from None
        return original

    def train(self, project: Project) -> Trained:
        with self._lock:
            classifier = self.classifier()
            result = train_project(classifier, project)
            if result.report.head is None:
                return Trained(result, None)
            target = project.folder / TAUGHT_FILE
            from squeezeapp.core.teach.export import export_model  # onnx: not at window start

            try:
                path = export_model(classifier.spec.path, result.report,
                                    classifier.spec.preprocess.as_dict(), target,
                                    project.folder.name, base_name=classifier.spec.name,
                                    overwrite=True)
            except TeachError as error:  # a read-only project still trains; says why
                logger.warning("live model not written: %s", error)
                return Trained(result, None, f"The live model could not be saved in the "
                                             f"project ({error}); Export Model… still works.")
            return Trained(result, path)

    def export(self, report_of: TrainedProject, target: Path) -> Path:
        from squeezeapp.core.teach.export import export_model  # onnx: not at window start

        with self._lock:
            classifier = self.classifier()
            return export_model(classifier.spec.path, report_of.report,
                                classifier.spec.preprocess.as_dict(), target, target.stem,
                                base_name=classifier.spec.name, overwrite=True)
