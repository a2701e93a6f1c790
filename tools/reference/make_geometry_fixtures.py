#!/usr/bin/env python3
"""Dev-only: writes small NIfTI files with varied geometry/datatypes and what nibabel reads from them.

Usage: python tools/reference/make_geometry_fixtures.py Tests/VolumeTests/Fixtures/geometry
Needs numpy and nibabel (python3 -m venv VENV && VENV/bin/pip install numpy nibabel). Never needed by `make test`:
the files and expected.json it writes are committed.
"""
import json
import os
import sys

import nibabel as nib
import numpy as np
from nibabel.orientations import axcodes2ornt, io_orientation, ornt_transform


def rotation(axis, degrees):
    t = np.deg2rad(degrees)
    c, s = np.cos(t), np.sin(t)
    if axis == "x":
        return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    if axis == "y":
        return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def affine(linear, origin):
    a = np.eye(4)
    a[:3, :3] = linear
    a[:3, 3] = origin
    return a


def data(shape, dtype, rng, low=-100, high=100):
    values = rng.uniform(low, high, size=shape)
    if np.issubdtype(np.dtype(dtype), np.integer):
        info = np.iinfo(np.dtype(dtype))
        values = np.clip(np.round(values), info.min, info.max)
    return values.astype(dtype)


def cases(rng):
    oblique = rotation("z", 17) @ rotation("x", -9) @ np.diag([0.7, 0.8, 2.5])
    # (name, image class, data, affine, qform_code, sform_code, extra header edits, endianness)
    yield "ras_int16_sform_oblique.nii.gz", nib.Nifti1Image, data((6, 5, 4), np.int16, rng), \
        affine(oblique, [-90.5, 12.25, 40.0]), 1, 2, {}, "<"
    yield "qform_only_qfac_neg_float32.nii", nib.Nifti1Image, data((5, 4, 3), np.float32, rng), \
        affine(rotation("y", 25) @ np.diag([1.2, 1.2, -3.0]), [10, -20, 30]), 1, 0, {}, "<"
    yield "no_xform_uint8.nii.gz", nib.Nifti1Image, data((4, 3, 5), np.uint8, rng, 0, 255), \
        affine(np.diag([2.0, 3.0, 4.0]), [0, 0, 0]), 0, 0, {}, "<"
    yield "lps_int32_bigendian.nii", nib.Nifti1Image, data((5, 6, 3), np.int32, rng, -5000, 5000), \
        affine(np.diag([-0.9, -0.9, 1.5]), [120, 100, -50]), 1, 1, {}, ">"
    yield "psr_sagittal_uint16.nii.gz", nib.Nifti1Image, data((3, 5, 4), np.uint16, rng, 0, 60000), \
        affine(np.array([[0, 0, -1.0], [-1.1, 0, 0], [0, 1.3, 0]]), [50, 60, -70]), 2, 2, {}, "<"
    yield "nifti2_float64_oblique.nii.gz", nib.Nifti2Image, data((4, 5, 3), np.float64, rng), \
        affine(rotation("x", 33) @ rotation("z", -40) @ np.diag([0.5, 0.6, 0.7]), [1.5, 2.5, 3.5]), 1, 4, {}, "<"
    yield "scaled_int16_slope_inter.nii.gz", nib.Nifti1Image, data((5, 4, 3), np.int16, rng, -2000, 2000), \
        affine(np.diag([1.0, 1.0, 1.0]), [0, 0, 0]), 1, 1, {"scl_slope": 0.5, "scl_inter": -100.0}, "<"
    yield "int8_las.nii", nib.Nifti1Image, data((4, 4, 4), np.int8, rng), \
        affine(np.diag([-1.0, 1.0, 1.0]), [10, 10, 10]), 1, 1, {}, "<"
    yield "uint32_ras.nii.gz", nib.Nifti1Image, data((3, 4, 5), np.uint32, rng, 0, 4e9), \
        affine(np.diag([1.0, 2.0, 3.0]), [-5, -5, -5]), 1, 1, {}, "<"
    yield "int64_ras.nii.gz", nib.Nifti1Image, data((3, 3, 3), np.int64, rng, -1e6, 1e6), \
        affine(np.diag([1.0, 1.0, 1.0]), [0, 0, 0]), 1, 1, {}, "<"
    nan_data = data((4, 4, 3), np.float32, rng)
    nan_data[1, 2, 0] = np.nan
    nan_data[3, 0, 2] = np.inf
    yield "float32_with_nan.nii.gz", nib.Nifti1Image, nan_data, affine(np.diag([1.0, 1.0, 1.0]), [0, 0, 0]), 1, 1, {}, "<"
    yield "four_d_uint16.nii.gz", nib.Nifti1Image, data((4, 3, 2, 3), np.uint16, rng, 0, 1000), \
        affine(np.diag([1.5, 1.5, 2.0]), [3, 4, 5]), 1, 1, {}, "<"


def main(folder):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(20261123)
    expected = {}
    for name, cls, array, aff, qcode, scode, edits, endian in cases(rng):
        header = (nib.Nifti2Header if cls is nib.Nifti2Image else nib.Nifti1Header)(endianness=endian)
        header.set_data_dtype(array.dtype.newbyteorder(endian) if array.dtype.itemsize > 1 else array.dtype)
        img = cls(array, aff, header=header)
        img.set_qform(aff, code=qcode)
        img.set_sform(aff, code=scode)
        if "scl_slope" in edits:
            img.header.set_slope_inter(edits["scl_slope"], edits["scl_inter"])
        path = os.path.join(folder, name)
        nib.save(img, path)
        if "scl_slope" in edits:  # nibabel may rescale on save; write raw slope/inter explicitly
            raw = nib.load(path)
            img = cls(np.asanyarray(raw.dataobj.get_unscaled()), aff, header=raw.header)
            img.header.set_slope_inter(edits["scl_slope"], edits["scl_inter"])
            nib.save(img, path)

        loaded = nib.load(path)
        best = loaded.affine
        volumes = loaded.shape[3] if len(loaded.shape) == 4 else 1
        entry = {
            "shape": list(loaded.shape[:3]),
            "volumes": volumes,
            "affine": best.tolist(),
            "zooms": np.sqrt((best[:3, :3] ** 2).sum(0)).tolist(),
            "axcodes": "".join(nib.aff2axcodes(best)),
            "datatype": str(loaded.get_data_dtype().newbyteorder("=").name),
            "qform_code": int(loaded.header["qform_code"]),
            "sform_code": int(loaded.header["sform_code"]),
        }
        fdata = loaded.get_fdata()
        per_volume = []
        for v in range(volumes):
            vol = fdata[..., v] if volumes > 1 else fdata
            finite = vol[np.isfinite(vol)]
            vol = np.where(np.isfinite(vol), vol, finite.min())  # VolSAM's rule: NaN/inf -> the minimum
            per_volume.append(vol.flatten(order="F").tolist())
        entry["data"] = per_volume
        entry["non_finite"] = int((~np.isfinite(fdata)).sum())
        # The canonical LPS layout computed by nibabel (independent of VolSAM's code).
        vol0 = nib.Nifti1Image(np.asarray(per_volume[0]).reshape(loaded.shape[:3], order="F"), best)
        transform = ornt_transform(io_orientation(best), axcodes2ornt("LPS"))
        canonical = vol0.as_reoriented(transform)
        entry["lps_shape"] = list(canonical.shape)
        entry["lps_affine"] = canonical.affine.tolist()
        entry["lps_data"] = np.asarray(canonical.dataobj).flatten(order="F").tolist()
        expected[name] = entry
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
    print(f"wrote {len(expected)} fixtures to {folder}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "Tests/VolumeTests/Fixtures/geometry")
