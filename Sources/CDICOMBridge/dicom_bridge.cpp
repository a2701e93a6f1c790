// Reads DICOM series with GDCM (tag scan, grouping, geometry checks) and ITK (pixel decoding, rescale to HU).
#include "itk_prelude.h"
#include "dicom_bridge.h"

#include <itkGDCMImageIO.h>
#include <itkImage.h>
#include <itkImageSeriesReader.h>
#include <itkObject.h>

#include <gdcmDirectory.h>
#include <gdcmScanner.h>
#include <gdcmTag.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace {

const gdcm::Tag kSeriesUID(0x0020, 0x000e), kDescription(0x0008, 0x103e), kModality(0x0008, 0x0060),
    kSeriesNumber(0x0020, 0x0011), kPosition(0x0020, 0x0032), kOrientation(0x0020, 0x0037),
    kPixelSpacing(0x0028, 0x0030), kRows(0x0028, 0x0010), kColumns(0x0028, 0x0011), kFrames(0x0028, 0x0008),
    kSliceThickness(0x0018, 0x0050);

/// The series key of files that carry no SeriesInstanceUID.
const char *const kMissingUID = "none";

struct BridgeError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string trimmed(const char *value) {
    if (!value) return "";
    std::string s(value);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
    size_t start = 0;
    while (start < s.size() && s[start] == ' ') start++;
    return s.substr(start);
}

std::vector<double> numbers(const std::string &text) {
    std::vector<double> out;
    std::stringstream stream(text);
    std::string part;
    while (std::getline(stream, part, '\\')) {
        char *end = nullptr;
        double v = std::strtod(part.c_str(), &end);
        if (end == part.c_str()) return {};
        out.push_back(v);
    }
    return out;
}

void copyString(char *dst, size_t capacity, const std::string &src) {
    std::snprintf(dst, capacity, "%s", src.c_str());
}

/// One image file of a series with the tags the geometry needs.
struct SliceFile {
    std::string path;
    std::vector<double> position, orientation, pixelSpacing;
    int rows = 0, columns = 0, frames = 1;
};

/// All files of one SeriesInstanceUID.
struct Series {
    std::string uid, description, modality;
    int number = 0;
    double thickness = 0;
    std::vector<SliceFile> files;
};

struct Scan {
    std::string folder, namedFile;
    std::vector<Series> series;
};

bool isDirectory(const std::string &path) {
    struct stat info;
    return stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

Scan scanFolder(const std::string &path) {
    struct stat info;
    if (stat(path.c_str(), &info) != 0) throw BridgeError("no such file or folder");
    Scan scan;
    if (isDirectory(path)) {
        scan.folder = path;
    } else {
        scan.namedFile = path;
        size_t slash = path.find_last_of('/');
        scan.folder = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
    }
    gdcm::Directory directory;
    directory.Load(scan.folder, false);
    std::vector<std::string> names = directory.GetFilenames();
    if (names.empty()) throw BridgeError("folder " + scan.folder + " holds no files");

    gdcm::Scanner scanner;
    for (const gdcm::Tag &tag : {kSeriesUID, kDescription, kModality, kSeriesNumber, kPosition, kOrientation,
                                 kPixelSpacing, kRows, kColumns, kFrames, kSliceThickness})
        scanner.AddTag(tag);
    if (!scanner.Scan(names)) throw BridgeError("could not scan folder " + scan.folder + " for DICOM files");

    std::map<std::string, Series> byUID;
    std::vector<std::string> order;
    for (const std::string &name : names) {
        if (!scanner.IsKey(name.c_str())) continue;
        std::string uid = trimmed(scanner.GetValue(name.c_str(), kSeriesUID));
        if (uid.empty()) uid = kMissingUID;  // anonymised files without SeriesInstanceUID form one series
        SliceFile file;
        file.path = name;
        file.position = numbers(trimmed(scanner.GetValue(name.c_str(), kPosition)));
        file.orientation = numbers(trimmed(scanner.GetValue(name.c_str(), kOrientation)));
        file.pixelSpacing = numbers(trimmed(scanner.GetValue(name.c_str(), kPixelSpacing)));
        file.rows = std::atoi(trimmed(scanner.GetValue(name.c_str(), kRows)).c_str());
        file.columns = std::atoi(trimmed(scanner.GetValue(name.c_str(), kColumns)).c_str());
        std::string frames = trimmed(scanner.GetValue(name.c_str(), kFrames));
        file.frames = frames.empty() ? 1 : std::atoi(frames.c_str());
        if (file.rows <= 0 || file.columns <= 0) continue;  // not an image (SR, SEG without pixels, ...)
        if (!byUID.count(uid)) {
            order.push_back(uid);
            Series series;
            series.uid = uid;
            series.description = trimmed(scanner.GetValue(name.c_str(), kDescription));
            series.modality = trimmed(scanner.GetValue(name.c_str(), kModality));
            series.number = std::atoi(trimmed(scanner.GetValue(name.c_str(), kSeriesNumber)).c_str());
            series.thickness = std::atof(trimmed(scanner.GetValue(name.c_str(), kSliceThickness)).c_str());
            byUID[uid] = series;
        }
        byUID[uid].files.push_back(file);
    }
    if (byUID.empty()) throw BridgeError("no DICOM image series found in " + scan.folder);
    for (const std::string &uid : order) scan.series.push_back(byUID[uid]);
    return scan;
}

std::string baseName(const std::string &path) {
    size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

const Series &chooseSeries(const Scan &scan, const std::string &uid) {
    if (!uid.empty()) {
        for (const Series &s : scan.series)
            if (s.uid == uid) return s;
        throw BridgeError("no series with UID " + uid + " in " + scan.folder);
    }
    if (!scan.namedFile.empty()) {
        const std::string wanted = baseName(scan.namedFile);
        for (const Series &s : scan.series)
            for (const SliceFile &f : s.files)
                if (baseName(f.path) == wanted) return s;
    }
    if (scan.series.size() > 1) {
        std::string list;
        for (const Series &s : scan.series)
            list += (list.empty() ? " " : "; ") +
                    (s.uid == kMissingUID ? std::string("none (files without a SeriesInstanceUID)") : s.uid) + ", " +
                    std::to_string(s.files.size()) + " files" + (s.description.empty() ? "" : ", " + s.description);
        throw BridgeError("folder holds " + std::to_string(scan.series.size()) +
                          " series; choose one with --series UID (`volsam info FOLDER` lists them):" + list);
    }
    return scan.series.front();
}

double dot(const double *a, const double *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

std::string fmt(double v) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.4g", v);
    return buffer;
}

/// Sorts the slices along the normal and checks that they form one regular grid. Fills geometry (LPS).
std::vector<std::string> orderedGeometry(const Series &series, vsd_volume *out) {
    const std::string where = "series " + series.uid;
    const SliceFile &first = series.files.front();
    if (series.files.size() == 1 && first.frames > 1)
        throw BridgeError(where + ": multi-frame DICOM (" + std::to_string(first.frames) +
                          " frames in one file) is not supported");
    for (const SliceFile &f : series.files) {
        if (f.position.size() != 3 || f.orientation.size() != 6)
            throw BridgeError(where + ": " + f.path + " lacks ImagePositionPatient/ImageOrientationPatient");
        if (f.rows != first.rows || f.columns != first.columns)
            throw BridgeError(where + ": slices differ in size (" + std::to_string(first.columns) + "x" +
                              std::to_string(first.rows) + " vs " + std::to_string(f.columns) + "x" +
                              std::to_string(f.rows) + ")");
        for (int i = 0; i < 6; i++)
            if (std::fabs(f.orientation[i] - first.orientation[i]) > 1e-4)
                throw BridgeError(where + ": slices have different orientations (ImageOrientationPatient)");
        if (f.pixelSpacing.size() != 2 || f.pixelSpacing != first.pixelSpacing)
            throw BridgeError(where + ": missing or differing PixelSpacing");
    }
    const double *row = first.orientation.data(), *col = first.orientation.data() + 3;
    double normal[3] = {row[1] * col[2] - row[2] * col[1], row[2] * col[0] - row[0] * col[2],
                        row[0] * col[1] - row[1] * col[0]};
    double norm = std::sqrt(dot(normal, normal));
    if (norm < 0.5) throw BridgeError(where + ": degenerate ImageOrientationPatient");
    for (double &v : normal) v /= norm;

    std::vector<std::pair<double, const SliceFile *>> sorted;
    for (const SliceFile &f : series.files) sorted.push_back({dot(f.position.data(), normal), &f});
    std::sort(sorted.begin(), sorted.end(),
              [](const auto &a, const auto &b) { return a.first < b.first; });

    double step = 0;
    if (sorted.size() > 1) {
        double minStep = 1e300, maxStep = -1e300;
        for (size_t i = 1; i < sorted.size(); i++) {
            double s = sorted[i].first - sorted[i - 1].first;
            minStep = std::min(minStep, s);
            maxStep = std::max(maxStep, s);
            const double *a = sorted[i - 1].second->position.data(), *b = sorted[i].second->position.data();
            double delta[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
            double inPlane[3] = {delta[0] - s * normal[0], delta[1] - s * normal[1], delta[2] - s * normal[2]};
            double shift = std::sqrt(dot(inPlane, inPlane));
            if (shift > 1e-3 + 1e-3 * std::fabs(s))
                throw BridgeError(where + ": gantry-tilted or sheared series (slice " + std::to_string(i) +
                                  " is offset " + fmt(shift) + " mm in-plane from the previous one, tilt " +
                                  fmt(std::atan2(shift, s) * 180 / M_PI) +
                                  " degrees); resample it first, VolSAM does not guess a sheared grid");
        }
        if (minStep <= 1e-4)
            throw BridgeError(where + ": two slices share one position (several acquisitions in one series?)");
        step = (sorted.back().first - sorted.front().first) / double(sorted.size() - 1);
        if (maxStep - minStep > 1e-3 + 0.01 * step) {
            std::string positions;
            for (size_t i = 0; i < sorted.size() && i < 12; i++) positions += (i ? ", " : "") + fmt(sorted[i].first);
            if (sorted.size() > 12) positions += ", ...";
            throw BridgeError(where + ": slices are unevenly spaced (steps from " + fmt(minStep) + " to " +
                              fmt(maxStep) + " mm; positions along the normal " + positions +
                              "); resample to a regular grid first");
        }
    } else {
        step = series.thickness > 0 ? series.thickness : 1.0;
    }

    std::vector<std::string> paths;
    for (const auto &entry : sorted) paths.push_back(entry.second->path);
    out->size[0] = first.columns;
    out->size[1] = first.rows;
    out->size[2] = (int64_t)sorted.size();
    out->spacing[0] = first.pixelSpacing[1];  // PixelSpacing = (between rows, between columns)
    out->spacing[1] = first.pixelSpacing[0];
    out->spacing[2] = step;
    for (int i = 0; i < 3; i++) {
        out->origin[i] = sorted.front().second->position[i];
        out->direction[i * 3 + 0] = row[i];
        out->direction[i * 3 + 1] = col[i];
        out->direction[i * 3 + 2] = normal[i];
    }
    return paths;
}

void decodePixels(const std::vector<std::string> &paths, const std::string &where, vsd_volume *out) {
    using ImageType = itk::Image<float, 3>;
    itk::Object::GlobalWarningDisplayOff();
    auto io = itk::GDCMImageIO::New();
    auto reader = itk::ImageSeriesReader<ImageType>::New();
    reader->SetImageIO(io);
    reader->SetFileNames(paths);
    try {
        reader->Update();
    } catch (const itk::ExceptionObject &e) {
        throw BridgeError(where + ": could not decode pixel data: " + std::string(e.GetDescription()));
    }
    ImageType::Pointer image = reader->GetOutput();
    auto size = image->GetLargestPossibleRegion().GetSize();
    if ((int64_t)size[0] != out->size[0] || (int64_t)size[1] != out->size[1] || (int64_t)size[2] != out->size[2])
        throw BridgeError(where + ": decoded size differs from the headers");
    size_t count = size[0] * size[1] * size[2];
    out->voxels = static_cast<float *>(std::malloc(count * sizeof(float)));
    if (!out->voxels) throw BridgeError(where + ": out of memory");
    std::memcpy(out->voxels, image->GetBufferPointer(), count * sizeof(float));
}

}  // namespace

extern "C" int vsd_list_series(const char *path, vsd_series_list *out, char *error, int32_t error_capacity) {
    out->items = nullptr;
    out->count = 0;
    try {
        Scan scan = scanFolder(path);
        out->items = static_cast<vsd_series *>(std::calloc(scan.series.size(), sizeof(vsd_series)));
        for (const Series &s : scan.series) {
            vsd_series &item = out->items[out->count++];
            copyString(item.uid, sizeof item.uid, s.uid);
            copyString(item.description, sizeof item.description, s.description);
            copyString(item.modality, sizeof item.modality, s.modality);
            item.series_number = s.number;
            item.file_count = (int32_t)s.files.size();
            item.rows = s.files.front().rows;
            item.columns = s.files.front().columns;
        }
        return 0;
    } catch (const std::exception &e) {
        std::snprintf(error, error_capacity, "%s", e.what());
        return 1;
    }
}

extern "C" void vsd_free_series_list(vsd_series_list *list) {
    std::free(list->items);
    list->items = nullptr;
    list->count = 0;
}

extern "C" int vsd_read_series(const char *path, const char *uid, vsd_volume *out, char *error,
                               int32_t error_capacity) {
    std::memset(out, 0, sizeof *out);
    try {
        Scan scan = scanFolder(path);
        const Series &series = chooseSeries(scan, uid ? uid : "");
        std::vector<std::string> paths = orderedGeometry(series, out);
        decodePixels(paths, "series " + series.uid, out);
        copyString(out->modality, sizeof out->modality, series.modality);
        copyString(out->uid, sizeof out->uid, series.uid);
        copyString(out->description, sizeof out->description, series.description);
        return 0;
    } catch (const std::exception &e) {
        std::free(out->voxels);
        out->voxels = nullptr;
        std::snprintf(error, error_capacity, "%s", e.what());
        return 1;
    }
}

extern "C" void vsd_free_volume(vsd_volume *volume) {
    std::free(volume->voxels);
    volume->voxels = nullptr;
}
