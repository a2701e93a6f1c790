// libnifti's NIfTI-2 API (reads and writes NIfTI-1 and NIfTI-2). nifti2_io.h includes <znzlib.h> with angle
// brackets, so targets importing this module add -I/usr/include/nifti (see Package.swift).
#include <nifti2_io.h>
