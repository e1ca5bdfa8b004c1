"""The document model without any widget: undoable edits, exact pixels, observable signals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scnn_plugin.app.document import FILL, Document
from scnn_plugin.errors import InputError


@pytest.fixture
def doc(qapp, photo) -> Document:
    return Document(photo, Path("photo.png"))


def _stroke(doc: Document, points, diameter=10.0, erase=False) -> None:
    doc.begin_stroke()
    for a, b in zip(points, points[1:] or points):
        doc.paint_segment(a, b, diameter, erase)
    doc.end_stroke(erase)


def test_stroke_is_one_undo_step_that_restores_the_exact_mask(doc):
    regions = []
    doc.mask_changed.connect(regions.append)
    _stroke(doc, [(50.0, 50.0), (120.0, 60.0), (200.0, 200.0)])
    painted = doc.mask.copy()
    assert painted[50, 50] == FILL and painted[200, 200] == FILL and painted[400, 400] == 0
    assert regions and all(r.contains(50, 50) or r.contains(200, 200) for r in regions)
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert not doc.mask.any()
    doc.undo_stack.redo()
    np.testing.assert_array_equal(doc.mask, painted)


def test_eraser_stroke_removes_mask_and_undoes(doc):
    _stroke(doc, [(100.0, 100.0), (300.0, 100.0)], diameter=30)
    painted = doc.mask.copy()
    _stroke(doc, [(200.0, 100.0)], diameter=10, erase=True)
    assert doc.mask[100, 200] == 0 and doc.mask[100, 120] == FILL
    doc.undo_stack.undo()
    np.testing.assert_array_equal(doc.mask, painted)


def test_stroke_that_changes_nothing_adds_no_undo_step(doc):
    _stroke(doc, [(10.0, 10.0)], erase=True)
    assert doc.undo_stack.count() == 0


def test_mask_is_read_only_outside_edits(doc):
    with pytest.raises(ValueError):
        doc.mask[0, 0] = FILL


def test_clear_and_invert_mask_are_undoable(doc):
    _stroke(doc, [(60.0, 60.0)], diameter=20)
    painted = doc.mask.copy()
    doc.invert_mask()
    np.testing.assert_array_equal(doc.mask, np.where(painted > 0, 0, FILL))
    doc.clear_mask()
    assert not doc.has_mask
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    np.testing.assert_array_equal(doc.mask, painted)


def test_load_mask_takes_nonzero_pixels_and_checks_size(doc, object_mask):
    doc.load_mask(object_mask)
    np.testing.assert_array_equal(doc.mask > 0, np.asarray(object_mask) > 0)
    with pytest.raises(InputError, match="must match"):
        doc.load_mask(Image.new("L", (10, 10), 255))


def test_result_replaces_image_clears_mask_and_undoes_as_one_step(doc, photo):
    _stroke(doc, [(100.0, 100.0)], diameter=20)
    mask_before = doc.mask.copy()
    result = Image.fromarray(255 - np.asarray(photo))
    dirty = []
    doc.dirty_changed.connect(dirty.append)
    doc.apply_result(result)
    assert doc.image is result and not doc.has_mask and doc.dirty
    doc.undo_stack.undo()
    np.testing.assert_array_equal(np.asarray(doc.image), np.asarray(photo))
    np.testing.assert_array_equal(doc.mask, mask_before)
    assert not doc.dirty
    doc.undo_stack.redo()
    np.testing.assert_array_equal(np.asarray(doc.image), np.asarray(result))
    assert dirty == [True, False, True]


def test_result_of_another_size_is_refused(doc):
    with pytest.raises(ValueError):
        doc.apply_result(Image.new("RGB", (3, 3)))


def test_mark_saved_clears_dirty_and_undo_past_it_sets_it_again(doc, photo):
    doc.apply_result(photo.copy())
    paths = []
    doc.path_changed.connect(lambda: paths.append(doc.path))
    doc.mark_saved(Path("elsewhere.png"))
    assert not doc.dirty and paths == [Path("elsewhere.png")]
    doc.undo_stack.undo()
    assert doc.dirty


def test_untitled_document_is_dirty_until_saved(qapp, photo):
    doc = Document(photo)
    assert doc.dirty and doc.path is None
    doc.mark_saved(Path("new.png"))
    assert not doc.dirty


def test_mask_image_is_a_snapshot(doc):
    _stroke(doc, [(30.0, 30.0)])
    snapshot = doc.mask_image()
    doc.clear_mask()
    assert snapshot.mode == "L" and np.asarray(snapshot)[30, 30] == FILL


# --- the document owns its files (issue 35: the window wrote them itself) -------------------------


def test_the_document_opens_saves_and_asks_before_replacing_only_files_it_did_not_write(
    qapp, photo, tmp_path
):
    original = tmp_path / "photo.png"
    photo.save(original)
    doc = Document.open(original)
    assert doc.path == original and not doc.dirty
    assert doc.needs_consent_to_replace(original)  # the photo as opened: ask first
    assert doc.suggested_path() == tmp_path / "photo-inpainted.png"
    assert not doc.needs_consent_to_replace(doc.suggested_path())  # nothing there yet
    doc.apply_result(Image.new("RGB", photo.size, (1, 2, 3)))
    assert doc.dirty
    copy = tmp_path / "copy.png"
    copy.write_bytes(b"someone else's")
    doc.approve(copy)  # a file dialog asked
    doc.save(copy)
    assert doc.path == copy and not doc.dirty and not doc.needs_consent_to_replace(copy)
    with Image.open(copy) as saved:
        assert saved.getpixel((0, 0)) == (1, 2, 3)
    assert doc.needs_consent_to_replace(original)  # still not written by it
    with pytest.raises(InputError, match="unknown image file extension"):
        doc.save(tmp_path / "photo.xyz")
    assert doc.path == copy


def test_the_document_writes_and_reads_its_mask_file(qapp, photo, tmp_path):
    doc = Document(photo, tmp_path / "photo.jpg")
    _stroke(doc, [(40.0, 40.0), (90.0, 60.0)])
    painted = doc.mask.copy()
    assert doc.mask_dirty and doc.suggested_mask_path() == tmp_path / "photo-mask.png"
    (tmp_path / "a file").write_text("not a folder")
    with pytest.raises(InputError, match="could not save"):
        doc.save_mask(tmp_path / "a file" / "m.png")
    assert doc.mask_dirty  # not written: still work to lose
    doc.save_mask(tmp_path / "m.png")
    assert not doc.mask_dirty
    with Image.open(tmp_path / "m.png") as written:
        assert written.mode == "L" and set(np.unique(np.asarray(written))) <= {0, FILL}
    doc.clear_mask()
    doc.load_mask_file(tmp_path / "m.png")
    np.testing.assert_array_equal(doc.mask, painted)
    with pytest.raises(InputError, match="no such file"):
        doc.load_mask_file(tmp_path / "missing.png")
