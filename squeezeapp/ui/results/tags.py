"""Write Tags… and Remove Tags…: the results' labels into XMP sidecars (core/batch/xmp.py).

The dialog asks the three things a photographer decides once: how sure a label must be (the
unsure threshold until changed), how many of the best predictions may become keywords, and how
the sidecars are named for their photo manager. The choices are remembered in the settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from squeezeapp.core.batch.xmp import SidecarNaming, TagRule

MAX_TAG_TOP = 5
NAMING_CHOICES = {
    SidecarNaming.FULL_NAME: "photo.jpg.xmp: darktable, digiKam, Immich",
    SidecarNaming.STEM: "photo.xmp: Lightroom, Capture One, exiftool",
}


@dataclass(frozen=True)
class TagSettings:
    """What Write Tags… uses; `min_confidence` None: the view's unsure threshold."""

    min_confidence: float | None = None
    top_k: int = 1
    naming: SidecarNaming = SidecarNaming.FULL_NAME

    def rule(self, unsure_threshold: float) -> TagRule:
        threshold = self.min_confidence if self.min_confidence is not None else unsure_threshold
        return TagRule(threshold, self.top_k)

    @classmethod
    def load(cls, store: QSettings | None) -> TagSettings:
        """What was saved; a missing or unreadable value falls back on its default."""
        if store is None:
            return cls()
        try:
            raw = store.value("tags/min_confidence", None)
            confidence = None if raw in (None, "") else float(str(raw))
            if confidence is not None and not 0.0 <= confidence <= 1.0:
                confidence = None
        except (TypeError, ValueError):
            confidence = None
        try:
            top_k = min(MAX_TAG_TOP, max(1, int(str(store.value("tags/top_k", 1)))))
        except (TypeError, ValueError):
            top_k = 1
        try:
            naming = SidecarNaming(str(store.value("tags/naming", SidecarNaming.FULL_NAME.value)))
        except ValueError:
            naming = SidecarNaming.FULL_NAME
        return cls(confidence, top_k, naming)

    def save(self, store: QSettings | None) -> None:
        if store is None:
            return
        if self.min_confidence is not None:
            store.setValue("tags/min_confidence", self.min_confidence)
        store.setValue("tags/top_k", self.top_k)
        store.setValue("tags/naming", self.naming.value)


class WriteTagsDialog(QDialog):
    """Threshold, how many predictions, sidecar naming; OK writes."""

    def __init__(self, settings: TagSettings, unsure_threshold: float, count: int,
                 selected: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Write Tags")
        which = "selected photo" if selected else "photo"
        intro = QLabel(f"Write the labels as keywords into the XMP sidecars of {count:,} "
                       f"{which}{'' if count == 1 else 's'}. The photos themselves are not "
                       "changed; an existing sidecar keeps all its other tags. A photo below "
                       "the threshold is not tagged, and the keywords squeezeapp wrote before "
                       "into the sidecar of a photo now below it are removed.", self)
        intro.setWordWrap(True)
        intro.setObjectName("write-tags-intro")
        self.intro = intro
        self.confidence = QDoubleSpinBox(self)
        self.confidence.setRange(0, 100)
        self.confidence.setDecimals(0)
        self.confidence.setSuffix(" %")
        self.confidence.setAccessibleName("Minimum confidence for a keyword")
        start = (settings.min_confidence if settings.min_confidence is not None
                 else unsure_threshold)
        self.confidence.setValue(round(start * 100))
        self.top_k = QSpinBox(self)
        self.top_k.setRange(1, MAX_TAG_TOP)
        self.top_k.setPrefix("the best ")
        self.top_k.setSuffix(" predictions")
        self.top_k.setSpecialValueText("the top prediction only")  # shown for 1
        self.top_k.setValue(settings.top_k)
        self.top_k.setAccessibleName("Best predictions that may become keywords")
        self.naming = QComboBox(self)
        for naming, text in NAMING_CHOICES.items():
            self.naming.addItem(text, naming.value)
        self.naming.setCurrentIndex(list(NAMING_CHOICES).index(settings.naming))
        self.naming.setAccessibleName("Sidecar names")
        form = QFormLayout()
        form.addRow("At least this confident:", self.confidence)
        form.addRow("Keywords from:", self.top_k)
        form.addRow("Sidecar names:", self.naming)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Write Tags")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def chosen(self) -> TagSettings:
        return TagSettings(self.confidence.value() / 100, self.top_k.value(),
                           SidecarNaming(self.naming.currentData()))
