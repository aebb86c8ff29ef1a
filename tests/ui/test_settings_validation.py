"""Settings read back are outside input (issue #19): every value is checked at load, what is out
of range or of the wrong type is ignored with a logged line, and quitting always finishes."""

from __future__ import annotations

import json
import logging
import time

from PySide6.QtCore import QSettings

from squeezeapp.ui.common.settings import AppSettings
from squeezeapp.ui.common.view_options import Corner, ViewOptions
from squeezeapp.ui.sources.recent import MAX_RECENT, SETTINGS_KEY, load_recent
from tests.ui_helpers import assert_threads_joined, make_window

WAIT_MS = 20_000

HOSTILE_INI = """\
[camera]
index=99999999999999999999
resolution=99999999x0
mirror=maybe
active=false

[inference]
threads=-5
provider=nonsense

[model]
path=a, b

[overlay]
count=99999999999999999999999999
unsure_threshold=nan
corner=middle
visible=2
"""


def test_out_of_range_values_are_ignored_with_a_logged_line(tmp_path, caplog) -> None:
    ini = tmp_path / "settings.ini"
    ini.write_text(HOSTILE_INI)
    store = QSettings(str(ini), QSettings.Format.IniFormat)
    with caplog.at_level(logging.WARNING):
        prefs = AppSettings.load(store)
        options = ViewOptions.load(store)
    assert prefs == AppSettings()  # every value was bad: all defaults
    assert options == ViewOptions()
    assert options.corner is Corner.TOP_LEFT
    ignored = [r.getMessage() for r in caplog.records if "settings: ignoring" in r.getMessage()]
    for key in ("camera/index", "camera/resolution", "camera/mirror", "inference/threads",
                "inference/provider", "model/path", "overlay/count",
                "overlay/unsure_threshold", "overlay/corner", "overlay/visible"):
        assert any(key in line for line in ignored), key
    assert len(prefs.ignored) == 6
    store.setValue("inference/threads", 100_000)  # above 4 per core: onnxruntime is not asked
    assert AppSettings.load(store).threads is None


def test_a_huge_number_in_the_settings_does_not_break_quitting(qtbot, model_dir, tmp_path):
    ini = tmp_path / "settings.ini"
    ini.write_text(HOSTILE_INI)
    window = make_window(qtbot, ini, tmp_path)
    # threads=-5 and provider=nonsense are ignored: the model loads
    qtbot.waitUntil(lambda: window.session.loaded is not None, timeout=WAIT_MS)
    window.close()
    assert_threads_joined(window)
    saved = QSettings(str(ini), QSettings.Format.IniFormat)
    assert str(saved.value("camera/index")) == "0"
    assert str(saved.value("inference/threads")) == "0"
    assert saved.value("inference/provider") == "auto"
    assert saved.value("window/geometry") is not None


def test_quitting_finishes_even_when_saving_fails(qtbot, model_dir, tmp_path, monkeypatch):
    window = make_window(qtbot, tmp_path / "settings.ini", tmp_path)
    qtbot.waitUntil(lambda: window.session.loaded is not None, timeout=WAIT_MS)

    def broken(*_args, **_kwargs):
        raise OverflowError("cannot store")

    monkeypatch.setattr(window, "remember", broken)
    window.close()
    assert_threads_joined(window)


def test_a_huge_recent_list_is_read_in_bounded_time(tmp_path) -> None:
    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    entries = [{"path": f"/photos/{i}.jpg", "kind": "image"} for i in range(100_000)]
    store.setValue(SETTINGS_KEY, json.dumps(entries))
    started = time.monotonic()
    recent = load_recent(store)
    assert time.monotonic() - started < 1.0
    assert [str(e.path) for e in recent] == [f"/photos/{i}.jpg" for i in range(MAX_RECENT)]
    duplicates = [{"path": "/photos/same.jpg", "kind": "image"}] * 100_000
    store.setValue(SETTINGS_KEY, json.dumps(duplicates))
    started = time.monotonic()
    assert len(load_recent(store)) == 1
    assert time.monotonic() - started < 1.0
