"""How the overlay is shown (View menu), remembered between runs in QSettings."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtCore import QSettings

from squeezeapp.ui.common.settings import SettingsReader

PREDICTION_COUNTS = (1, 3, 5)
DEFAULT_UNSURE_THRESHOLD = 0.3  # top-1 below this is marked "unsure"


class Corner(StrEnum):
    TOP_LEFT = "top-left"
    TOP_RIGHT = "top-right"
    BOTTOM_LEFT = "bottom-left"
    BOTTOM_RIGHT = "bottom-right"

    @property
    def is_top(self) -> bool:
        return self in (Corner.TOP_LEFT, Corner.TOP_RIGHT)

    @property
    def is_left(self) -> bool:
        return self in (Corner.TOP_LEFT, Corner.BOTTOM_LEFT)

    @property
    def label(self) -> str:
        return self.value.replace("-", " ").capitalize()

    def next(self) -> Corner:
        """Clockwise, for a "move overlay" shortcut."""
        order = (Corner.TOP_LEFT, Corner.TOP_RIGHT, Corner.BOTTOM_RIGHT, Corner.BOTTOM_LEFT)
        return order[(order.index(self) + 1) % len(order)]


@dataclass(frozen=True)
class ViewOptions:
    overlay_visible: bool = True
    corner: Corner = Corner.TOP_LEFT
    count: int = 5  # predictions shown: 1, 3 or 5
    unsure_threshold: float = DEFAULT_UNSURE_THRESHOLD  # 0 turns the marker off
    show_heatmap: bool = False  # where the model saw the chosen class (View ▸ Show Heatmap, H)
    show_crop: bool = False  # the square the model sees (View ▸ Show Model Crop)

    def __post_init__(self) -> None:
        if self.count not in PREDICTION_COUNTS:
            raise ValueError(f"count must be one of {PREDICTION_COUNTS}, not {self.count}")
        if not 0.0 <= self.unsure_threshold <= 1.0:
            raise ValueError("unsure_threshold must lie in [0, 1]")

    @classmethod
    def load(cls, store: QSettings) -> ViewOptions:
        """What was saved; each value that is missing, of the wrong type or out of range falls
        back on its default (with a logged line, `SettingsReader`)."""
        default = cls()
        read = SettingsReader(store)
        corner = read.choice("overlay/corner", default.corner.value, [c.value for c in Corner])
        count = read.integer("overlay/count", default.count, 1, max(PREDICTION_COUNTS))
        if count not in PREDICTION_COUNTS:
            read.ignore("overlay/count", count, f"one of {PREDICTION_COUNTS}")
            count = default.count
        return cls(
            overlay_visible=read.boolean("overlay/visible", default.overlay_visible),
            corner=Corner(corner),
            count=count,
            unsure_threshold=read.number("overlay/unsure_threshold", default.unsure_threshold,
                                         0.0, 1.0),
            show_heatmap=read.boolean("overlay/heatmap", default.show_heatmap),
            show_crop=read.boolean("overlay/crop", default.show_crop),
        )

    def save(self, store: QSettings) -> None:
        store.setValue("overlay/visible", self.overlay_visible)
        store.setValue("overlay/corner", self.corner.value)
        store.setValue("overlay/count", self.count)
        store.setValue("overlay/unsure_threshold", self.unsure_threshold)
        store.setValue("overlay/heatmap", self.show_heatmap)
        store.setValue("overlay/crop", self.show_crop)

    def is_unsure(self, top_probability: float) -> bool:
        return top_probability < self.unsure_threshold

