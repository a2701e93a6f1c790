// swift-tools-version:6.0
import PackageDescription

/// libnifti's headers include each other as <znzlib.h>, so every Swift target that sees the CNIfTI module needs its folder.
let niftiInclude: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-I/usr/include/nifti"])]

/// ITK 5.2 (DICOM through GDCM, NRRD, MetaImage) and GDCM as installed by Debian's libinsighttoolkit5-dev and
/// libgdcm-dev (see ../shared/notes/toolchain.md).
let itkLibraries: [LinkerSetting] = [
    .unsafeFlags(["-L/usr/lib", "-L/usr/lib/x86_64-linux-gnu"]),
    .linkedLibrary("ITKIOGDCM-5.2"), .linkedLibrary("ITKIONRRD-5.2"), .linkedLibrary("ITKNrrdIO-5.2"),
    .linkedLibrary("ITKIOMeta-5.2"), .linkedLibrary("ITKMetaIO-5.2"),
    .linkedLibrary("ITKIOImageBase-5.2"), .linkedLibrary("ITKCommon-5.2"),
    .linkedLibrary("itkvnl-5.2"), .linkedLibrary("itkvnl_algo-5.2"), .linkedLibrary("itksys-5.2"),
    .linkedLibrary("ITKVNLInstantiation-5.2"),
    .linkedLibrary("gdcmMSFF"), .linkedLibrary("gdcmDSED"), .linkedLibrary("gdcmDICT"), .linkedLibrary("gdcmCommon"),
    .linkedLibrary("stdc++"), .linkedLibrary("m"),
]

/// The engine's kernels are compiled for Haswell-level x86-64 (AVX2 + FMA: 8-lane SIMD in one instruction, fused multiply-add);
/// `volsam` refuses to start on a CPU without them (CPUFeatures.swift).
let vectorISA: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]

/// The AVX-512 kernels (16 lanes) are a module of their own compiled for Skylake-SP and later; their code runs only
/// after CPUFeatures found AVX-512 (SAM's KernelSelection), so the binary still runs on AVX2-only CPUs.
let wideISA: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "skylake-avx512"])]

let package = Package(
    name: "VolSAM",
    products: [
        .executable(name: "volsam", targets: ["volsam"]),
        .library(name: "Volume", targets: ["Volume"]),
        .library(name: "Metrics", targets: ["Metrics"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CNIfTI", path: "Sources/CNIfTI"),
        .systemLibrary(name: "SystemZlib", path: "Sources/SystemZlib"),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas"),
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        .systemLibrary(name: "CSIMD", path: "Sources/CSIMD"),
        .target(
            name: "CDICOMBridge",
            path: "Sources/CDICOMBridge",
            cxxSettings: [.unsafeFlags(["-I/usr/include/ITK-5.2", "-I/usr/include/gdcm-3.0", "-std=c++17", "-O2", "-w"])],
            linkerSettings: itkLibraries
        ),
        .target(name: "Parallelism", swiftSettings: vectorISA),
        .target(name: "Imaging", swiftSettings: vectorISA),
        .target(name: "Volume", dependencies: ["CNIfTI", "SystemZlib", "CDICOMBridge", "Parallelism", "Imaging"],
                swiftSettings: niftiInclude + vectorISA),
        .target(name: "Metrics", dependencies: ["Volume", "Parallelism"], swiftSettings: niftiInclude + vectorISA),
        .target(name: "Tensor", dependencies: ["COpenBLAS", "CMalloc", "CSIMD", "Parallelism",
                                               .product(name: "ZIPFoundation", package: "ZIPFoundation")],
                swiftSettings: vectorISA),
        .target(name: "KernelsAVX512", dependencies: ["Tensor"], swiftSettings: wideISA),
        .target(name: "SAM", dependencies: ["Tensor", "KernelsAVX512", "Imaging", "Parallelism",
                                            .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: vectorISA),
        .target(name: "Training", dependencies: ["Tensor", "SAM", "Parallelism"], swiftSettings: vectorISA),
        .target(name: "Pipeline", dependencies: ["Volume", "Imaging", "Metrics", "SAM", "Tensor", "Training", "Parallelism", "SystemZlib"],
                swiftSettings: niftiInclude + vectorISA),
        .executableTarget(
            name: "volsam",
            dependencies: ["Volume", "Imaging", "Metrics", "Pipeline", "SAM", "Tensor", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: niftiInclude
        ),
        .testTarget(name: "VolumeTests", dependencies: ["Volume", "Imaging"], exclude: ["Fixtures"], swiftSettings: niftiInclude),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "KernelsAVX512"], exclude: ["Fixtures"]),
        .testTarget(name: "SAMTests", dependencies: ["SAM", "Tensor", "Imaging", "Training", "SystemZlib"], exclude: ["Fixtures"],
                    swiftSettings: niftiInclude),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics", "Volume"], exclude: ["Fixtures"], swiftSettings: niftiInclude),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Metrics", "Volume", "Imaging", "SAM", "Tensor", "SystemZlib"], exclude: ["Fixtures"],
                    swiftSettings: niftiInclude),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Tensor", "SAM"]),
        .testTarget(name: "CLITests", dependencies: ["volsam", "Volume", "SystemZlib"], swiftSettings: niftiInclude),
    ]
)
