# Thin wrapper around CMake: `make run` (the main job) and `make test` (every
# test, plus the sanitizer build). Both install missing Debian packages first.

BUILD_DIR ?= build
ASAN_DIR  ?= build-asan
JOBS      ?= $(shell nproc)
CMAKE     ?= cmake
CTEST_ARGS ?= --output-on-failure --timeout 600

# Debian packages the build, the tests and the main job need.
DEPS := build-essential cmake pkg-config libasio-dev libcli11-dev libfmt-dev \
        nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev libcap-dev \
        iproute2 nftables ethtool tcpdump procps util-linux iputils-ping traceroute python3

.PHONY: all deps build build-asan run test test-unit test-asan bench clean

all: build

deps:
	@scripts/install-missing-packages.sh $(DEPS)

build: deps
	$(CMAKE) -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	$(CMAKE) --build $(BUILD_DIR) -j$(JOBS)

build-asan: deps
	$(CMAKE) -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DICMPKIT_SANITIZE=ON -DICMPKIT_INSTALL=OFF
	$(CMAKE) --build $(ASAN_DIR) -j$(JOBS)

# The main job: diagnose which sockets open, one decoded echo exchange with
# 127.0.0.1 and ::1, then ping (iputils style) and a sweep of 127.0.0.0/24
# (fping style, with its summary).
run: build
	./$(BUILD_DIR)/tools/icmpkit doctor
	./$(BUILD_DIR)/tools/icmpkit send --count 1 127.0.0.1
	./$(BUILD_DIR)/tools/icmpkit send --count 1 ::1
	./$(BUILD_DIR)/tools/icmpkit ping -c 3 127.0.0.1
	./$(BUILD_DIR)/tools/icmpkit ping -c 3 ::1
	./$(BUILD_DIR)/tools/icmpkit sweep -s -q -g 127.0.0.0/24

test-unit: build
	cd $(BUILD_DIR) && ctest $(CTEST_ARGS)

test-asan: build-asan
	cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest $(CTEST_ARGS) --label-exclude package

# Every test: unit, integration (namespace labs; skipped with a reason when not
# root), header self-containment, fuzz-corpus replay and packaging, then the
# whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer.
test: test-unit test-asan
	@echo "make test: all suites passed (normal and sanitizer builds)"

# Benchmarks (issue 3): a Release build with -DICMPKIT_BUILD_BENCH=ON, then
# bench/run_bench.py: icmpkit vs fping vs oping vs ping -f vs the machine's
# speed of light, side by side on loopback in private namespaces (run as root).
# BENCH_QUICK=1 for a short run; BENCH_ARGS for more driver flags
# (e.g. BENCH_ARGS="--scenarios sweep --sweep-targets 1000 --json-out b.json").
BENCH_DIR  ?= build-bench
BENCH_ARGS ?=
BENCH_DEPS := fping oping python3

bench: deps
	@scripts/install-missing-packages.sh $(BENCH_DEPS)
	$(CMAKE) -S . -B $(BENCH_DIR) -DCMAKE_BUILD_TYPE=Release -DICMPKIT_BUILD_BENCH=ON \
	  -DICMPKIT_BUILD_TESTS=OFF -DICMPKIT_BUILD_EXAMPLES=OFF -DICMPKIT_BUILD_FUZZERS=OFF -DICMPKIT_INSTALL=OFF
	$(CMAKE) --build $(BENCH_DIR) -j$(JOBS) --target icmpkit_bench_all
	@# The peers and the speed-of-light loop still run when the CLI does not build.
	$(CMAKE) --build $(BENCH_DIR) -j$(JOBS) --target icmpkit_cli || \
	  echo "make bench: WARNING: tools/icmpkit did not build; only the peers are measured" >&2
	/usr/bin/env python3 bench/run_bench.py --build $(BENCH_DIR) $(BENCH_ARGS)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
