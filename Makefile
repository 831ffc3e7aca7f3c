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
        iproute2 nftables ethtool tcpdump procps util-linux iputils-ping

.PHONY: all deps build build-asan run test test-unit test-asan bench clean

all: build

deps:
	@missing=$$(for p in $(DEPS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing missing packages:" $$missing; \
	  if [ "$$(id -u)" != 0 ]; then echo "error: run as root (or install: $$missing)" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	$(CMAKE) -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	$(CMAKE) --build $(BUILD_DIR) -j$(JOBS)

build-asan: deps
	$(CMAKE) -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DICMPKIT_SANITIZE=ON -DICMPKIT_INSTALL=OFF
	$(CMAKE) --build $(ASAN_DIR) -j$(JOBS)

# The main job until the ping engine lands: diagnose sockets, then one echo
# exchange with 127.0.0.1 and ::1 printed decoded.
run: build
	./$(BUILD_DIR)/tools/icmpkit doctor
	./$(BUILD_DIR)/tools/icmpkit send --count 1 127.0.0.1
	./$(BUILD_DIR)/tools/icmpkit send --count 1 ::1

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

bench: build
	@echo "benchmarks arrive with the ping engine (issue 3); nothing to run yet" >&2; exit 1

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
