"""A DICOM series folder is read as one volume, like any other image file."""

import locale

import numpy as np
import pytest

from radfuse.extract._checks import InputProblem, read_image

sitk = pytest.importorskip("SimpleITK")


@pytest.fixture(autouse=True)
def keep_locale():
    """GDCM's DICOM writer switches the process locale to "C" (ASCII); restore it."""
    saved = locale.setlocale(locale.LC_ALL, None)
    yield
    locale.setlocale(locale.LC_ALL, saved)


def write_dicom_series(volume: np.ndarray, folder, spacing=(0.8, 0.8, 2.5)):
    """One file per slice with the tags GDCM needs to order a series."""
    image = sitk.GetImageFromArray(volume.astype(np.int16))
    image.SetSpacing(spacing)
    writer = sitk.ImageFileWriter()
    writer.KeepOriginalImageUIDOn()
    for z in range(image.GetDepth()):
        slice_ = image[:, :, z]
        position = image.TransformIndexToPhysicalPoint((0, 0, z))
        for tag, value in {
            "0008|0060": "MR",
            "0020|000d": "1.2.826.0.1.3680043.2.1125.1",
            "0020|000e": "1.2.826.0.1.3680043.2.1125.1.2",
            "0020|0013": str(z + 1),
            "0020|0032": "\\".join(map(str, position)),
            "0020|0037": "1\\0\\0\\0\\1\\0",
            "0028|0030": f"{spacing[1]}\\{spacing[0]}",
            "0018|0050": str(spacing[2]),
        }.items():
            slice_.SetMetaData(tag, value)
        writer.SetFileName(str(folder / f"slice{z:03d}.dcm"))
        writer.Execute(slice_)


def test_series_folder_reads_as_the_original_volume(tmp_path):
    volume = np.random.default_rng(0).integers(0, 1000, size=(6, 16, 12))
    write_dicom_series(volume, tmp_path)
    image = read_image(str(tmp_path))
    np.testing.assert_array_equal(sitk.GetArrayFromImage(image), volume)
    np.testing.assert_allclose(image.GetSpacing(), (0.8, 0.8, 2.5), rtol=1e-6)


def test_folder_without_a_series_is_a_recorded_problem(tmp_path):
    (tmp_path / "notes.txt").write_text("not an image")
    with pytest.raises(InputProblem, match=r"holds 0 DICOM series"):
        read_image(str(tmp_path))
