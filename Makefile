# Thin wrapper over CMake; the build directory is build/.
BUILD ?= build
PREFIX ?= /usr/local
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all build configure deps install package test test-unit test-datapath test-e2e demo bench format clean

all: build

configure:
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD) -j$(JOBS)

deps:
	bash scripts/install-deps.sh

install: build
	cmake --install $(BUILD)

# The Debian package, $(BUILD)/package/xlb_<version>_<arch>.deb: builds only what it holds
# (not the tests), then CPack (docs/packaging.md).
package: configure
	cmake --build $(BUILD) -j$(JOBS) --target xlb_package_payload
	cd $(BUILD) && cpack -G DEB

# Every test layer; tests needing root/BPF skip with a message when run without them.
test: build
	bash scripts/run-tests.sh $(BUILD)

test-unit: build
	ctest --test-dir $(BUILD) -L unit --output-on-failure

test-datapath: build
	ctest --test-dir $(BUILD) -L datapath --output-on-failure

test-e2e: build
	ctest --test-dir $(BUILD) -L e2e --output-on-failure

demo: deps build
	bash scripts/demo.sh --no-build $(DEMO_FLAGS)

# Every benchmark, written to docs/benchmarks.md (+ .png). A quick run:
# make bench BENCH_ROUNDS=1 BENCH_SECONDS=2 (all settings: bench/run.sh).
bench: deps configure
	cmake --build $(BUILD) -j$(JOBS) --target bench_tools
	BENCH_BUILD=$(BUILD) bash bench/run.sh

format:
	find bpf include src tests bench -name '*.[ch]' -o -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD)
