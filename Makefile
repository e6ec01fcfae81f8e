# SPDX-License-Identifier: BSD-3-Clause
# A thin wrapper for people who type make; ./amp.sh installs what is missing and drives CMake's
# presets, so the package list and the build steps are written once. See README.md.

FUZZ_SECONDS ?= 60
SOAK_SECONDS ?= 600
# BENCH_ARGS=--smoke runs every benchmark briefly (what CI does).
BENCH_ARGS ?=
# bench-plot needs a python3 with matplotlib (Debian: python3-matplotlib, in /usr/bin/python3);
# bench/plot_latency.py finds one ($PYTHON first) and says which it tried when none has it.
PYTHON ?= python3

.PHONY: all build test test-default test-asan-ubsan test-tsan demo demo-shm bench bench-plot soak fuzz fuzz-build clean

all: build

build:
	sh amp.sh build default

# All tests, three times: the default build, ASan+UBSan, and TSan.
test:
	sh amp.sh test

test-default test-asan-ubsan test-tsan:
	sh amp.sh test $(@:test-%=%)

# The main job: the seed's story on the simulated SoC (samples/amp_demo.c).
demo:
	sh amp.sh demo

# The remote as a Linux process (the shm platform, samples/shm/amp_shm_demo.c).
demo-shm: build
	build/default/samples/amp-shm-demo

bench: build
	build/default/bench/amp-bench $(BENCH_ARGS)

# The latency distributions of the last `make bench`, as build/bench/latency.png.
bench-plot:
	PYTHON=$(PYTHON) $(PYTHON) bench/plot_latency.py build/bench/latency.json build/bench/latency.png

# Traffic on several processors crashed and recovered at random, for SOAK_SECONDS; checks
# order, integrity, losses only at crashes, and no leak. Then the torture test for as long (a
# few seconds of it run in `make test`): every rpmsg and remoteproc call at once from threads.
soak: build
	build/default/tests/soak/soak $(SOAK_SECONDS)
	build/default/tests/integration/torture/torture $(SOAK_SECONDS)

fuzz-build:
	sh amp.sh build fuzz

# Each libFuzzer target for FUZZ_SECONDS, starting from its seed corpus (kept read-only: new
# inputs go to build/fuzz/corpus/<name>).
fuzz: fuzz-build
	sh tests/fuzz/run-fuzzers.sh build/fuzz $(FUZZ_SECONDS)

clean:
	rm -rf build
