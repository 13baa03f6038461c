# Front door for the CMake build. `make test` and `make demo` install what
# they need first (scripts/install-deps.sh, apt-get as root).
BUILD ?= build
SANITIZE ?= 0
WERROR ?= $(if $(CI),1,0)
JOBS ?= 2
# make static: which targets (build/static/<arch>/stash2plex).
ARCHES ?= x86_64 aarch64 armv7

ifeq ($(SANITIZE),1)
BUILD := build-asan
endif

CMAKE_FLAGS = -DS2P_SANITIZE=$(if $(filter 1,$(SANITIZE)),ON,OFF) \
              -DS2P_WERROR=$(if $(filter 1,$(WERROR)),ON,OFF)

.PHONY: all deps configure test valgrind demo bench install dist clean format fuzz static static-deps ui

all: configure
	cmake --build $(BUILD) -j$(JOBS)

deps:
	@scripts/install-deps.sh --check 2>/dev/null || scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null

test: all
	@test -x build/static/x86_64/stash2plex || \
	  echo "NOTICE: no static build (build/static/<arch>/stash2plex): the empty-root tests will be SKIPPED. Run 'make static' first (.ci/run does)."
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) -LE valgrind

# Unit tests and a few integration runs under valgrind's memcheck (slow).
valgrind: all
	@if [ "$(SANITIZE)" = 1 ]; then echo "make valgrind: not with SANITIZE=1 (ASan and valgrind do not mix)"; exit 2; fi
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) -L valgrind

demo: all
	scripts/demo.sh $(BUILD)

bench: all
	scripts/bench.sh $(BUILD)

# Fully static musl binaries for Stash's Docker image (x86_64, aarch64,
# armv7), built from pinned Debian source packages; dependencies are cached
# in $$S2P_STATIC_CACHE (default /var/cache/stash2plex-static). See
# scripts/static/build.sh.
static-deps:
	@scripts/static/install-deps.sh --check 2>/dev/null || scripts/static/install-deps.sh

static: static-deps
	JOBS=$(JOBS) scripts/static/build.sh build $(ARCHES)

# Stash's package layout: bin/stash2plex-<arch>, the launcher stash2plex,
# Stash2Plex.yml, README.md, LICENSE, THIRD-PARTY (scripts/dist.sh).
DIST_ARCHES = x86_64 aarch64 armv7
HOST_ARCH := $(shell uname -m | sed 's/^amd64$$/x86_64/; s/^arm64$$/aarch64/; s/^armv[78].*/armv7/')

# The Stash UI plugin: ui/src built by the pinned esbuild (ui/package-lock.json,
# installed by `npm ci` through scripts/install-deps.sh) into
# $(BUILD)/ui/stash2plex.js and stash2plex.css. React and the other
# libraries come from Stash's window.PluginApi at run time.
ui: deps
	cd ui && node build.mjs --out $(CURDIR)/$(BUILD)/ui

# A plugin source for Stash: dist/<version>/Stash2Plex.zip and
# dist/index.yml, from the static binaries (built first when missing) and
# the UI plugin.
dist: deps ui
	@for a in $(DIST_ARCHES); do test -x build/static/$$a/stash2plex || { $(MAKE) static && break; }; done
	scripts/dist.sh --static build/static --ui $(BUILD)/ui --out dist

# Copy the plugin into a Stash plugins folder, in the package's layout:
#   make install PLUGIN_DIR=/root/.stash/plugins/Stash2Plex
# Without a static build, the binary built here is installed for this
# machine's CPU only (it needs this machine's shared libraries).
install: all ui
	@test -n "$(PLUGIN_DIR)" || { echo "usage: make install PLUGIN_DIR=<stash plugins dir>/Stash2Plex"; exit 2; }
	@if (for a in $(DIST_ARCHES); do test -x build/static/$$a/stash2plex || exit 1; done); then \
	  scripts/dist.sh --static build/static --ui $(BUILD)/ui --install "$(PLUGIN_DIR)"; \
	else \
	  echo "NOTICE: no static build (make static): installing $(BUILD)/stash2plex, dynamically linked, for $(HOST_ARCH) only"; \
	  scripts/dist.sh --arches $(HOST_ARCH) --bin $(HOST_ARCH)=$(BUILD)/stash2plex --ui $(BUILD)/ui --allow-dynamic --install "$(PLUGIN_DIR)"; \
	fi

# Format every C file with .clang-format (clang-format 14); CI checks it
# with scripts/check-format.sh.
format: deps
	scripts/check-format.sh --fix

# libFuzzer targets (clang, ASan+UBSan) in build-fuzz, each run for
# FUZZ_SECONDS (default 60); crashes land in tests/fuzz/<target>/corpus/.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= input stash plex config pathmap text
fuzz:
	@scripts/install-deps.sh --fuzz
	scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf build build-asan build-fuzz dist
