// Reading NRRD (.nrrd, .nhdr) and MetaImage (.mha, .mhd) files through ITK's own readers.
#include "itk_prelude.h"
#include "dicom_bridge.h"

#include <itkImage.h>
#include <itkImageFileReader.h>
#include <itkMetaImageIO.h>
#include <itkNrrdImageIO.h>
#include <itkObject.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

bool endsWith(const std::string &text, const std::string &suffix) {
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

itk::ImageIOBase::Pointer ioFor(const std::string &path) {
    std::string lower = path;
    for (char &c : lower) c = (char)std::tolower((unsigned char)c);
    if (endsWith(lower, ".nrrd") || endsWith(lower, ".nhdr")) return itk::NrrdImageIO::New().GetPointer();
    if (endsWith(lower, ".mha") || endsWith(lower, ".mhd")) return itk::MetaImageIO::New().GetPointer();
    return nullptr;
}

}  // namespace

extern "C" int vsd_read_image_file(const char *path, int64_t max_voxels, vsd_volume *out, char *error,
                                   int32_t error_capacity) {
    std::memset(out, 0, sizeof *out);
    itk::Object::GlobalWarningDisplayOff();
    try {
        itk::ImageIOBase::Pointer io = ioFor(path);
        if (!io) throw std::runtime_error("not a NRRD (.nrrd, .nhdr) or MetaImage (.mha, .mhd) file");
        if (!io->CanReadFile(path)) throw std::runtime_error("not a readable " + std::string(io->GetNameOfClass()) + " file");
        io->SetFileName(path);
        io->ReadImageInformation();
        unsigned dimensions = io->GetNumberOfDimensions();
        if (io->GetNumberOfComponents() != 1)
            throw std::runtime_error("holds " + std::to_string(io->GetNumberOfComponents()) +
                                     " components per voxel (RGB, vector or tensor data); VolSAM reads scalar volumes");
        if (dimensions < 2 || dimensions > 3)
            throw std::runtime_error(std::to_string(dimensions) + "-D data is not supported; VolSAM reads 3-D volumes");
        int64_t voxels = 1;
        for (unsigned d = 0; d < dimensions; d++) {
            int64_t n = (int64_t)io->GetDimensions(d);
            if (n < 1 || voxels > max_voxels / n)
                throw std::runtime_error("dimensions are absurd (more than " + std::to_string(max_voxels) +
                                         " voxels); refusing to allocate");
            voxels *= n;
        }
        using ImageType = itk::Image<float, 3>;
        auto reader = itk::ImageFileReader<ImageType>::New();
        reader->SetImageIO(io);
        reader->SetFileName(path);
        reader->Update();
        ImageType::Pointer image = reader->GetOutput();
        auto size = image->GetLargestPossibleRegion().GetSize();
        auto spacing = image->GetSpacing();
        auto origin = image->GetOrigin();
        auto direction = image->GetDirection();
        for (int i = 0; i < 3; i++) {
            out->size[i] = (int64_t)size[i];
            out->spacing[i] = spacing[i];
            out->origin[i] = origin[i];
            for (int j = 0; j < 3; j++) out->direction[i * 3 + j] = direction[i][j];
        }
        size_t count = (size_t)size[0] * size[1] * size[2];
        out->voxels = static_cast<float *>(std::malloc(count * sizeof(float)));
        if (!out->voxels) throw std::runtime_error("out of memory");
        std::memcpy(out->voxels, image->GetBufferPointer(), count * sizeof(float));
        std::string component = itk::ImageIOBase::GetComponentTypeAsString(io->GetComponentType());
        std::snprintf(out->modality, sizeof out->modality, "%s", component.c_str());
        return 0;
    } catch (const itk::ExceptionObject &e) {
        std::free(out->voxels);
        out->voxels = nullptr;
        std::snprintf(error, error_capacity, "could not read: %s", e.GetDescription());
        return 1;
    } catch (const std::exception &e) {
        std::free(out->voxels);
        out->voxels = nullptr;
        std::snprintf(error, error_capacity, "%s", e.what());
        return 1;
    }
}
