// C API over ITK/GDCM for reading DICOM series, NRRD and MetaImage files; used by the Volume target's readers.
#ifndef VOLSAM_DICOM_BRIDGE_H
#define VOLSAM_DICOM_BRIDGE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// One DICOM series found in a folder.
typedef struct {
    char uid[128];
    char description[256];
    char modality[32];
    int32_t series_number;
    int32_t file_count;
    int32_t rows;
    int32_t columns;
} vsd_series;

/// A list of series (free with vsd_free_series_list).
typedef struct {
    vsd_series *items;
    int32_t count;
} vsd_series_list;

/// A decoded series: voxels (x fastest: column, row, slice) in rescaled units (HU for CT), LPS geometry.
typedef struct {
    int64_t size[3];
    double spacing[3];
    double origin[3];
    /// Row-major 3x3; column j is the LPS direction of voxel axis j.
    double direction[9];
    float *voxels;
    char modality[32];
    char uid[128];
    char description[256];
} vsd_volume;

/// Lists the image series in `path` (a folder, or a file inside one). Returns 0 on success, else writes `error`.
int vsd_list_series(const char *path, vsd_series_list *out, char *error, int32_t error_capacity);
void vsd_free_series_list(vsd_series_list *list);

/// Reads one series (`uid` empty: the only series, or the series of `path` when it names a file).
/// Slices are sorted along the slice normal; uneven spacing, gantry tilt, mixed orientation or size are errors.
int vsd_read_series(const char *path, const char *uid, vsd_volume *out, char *error, int32_t error_capacity);
void vsd_free_volume(vsd_volume *volume);

/// Reads a NRRD (.nrrd, .nhdr) or MetaImage (.mha, .mhd) file with ITK: voxels as float, LPS geometry, the file's
/// component type (ITK's name, e.g. "short") in `modality`. Refuses non-scalar data, other than 2-D/3-D, and more
/// than `max_voxels` voxels before allocating. Free with vsd_free_volume.
int vsd_read_image_file(const char *path, int64_t max_voxels, vsd_volume *out, char *error, int32_t error_capacity);

#ifdef __cplusplus
}
#endif

#endif
