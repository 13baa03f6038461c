# Front door for the CMake build. `make test` and `make demo` install what
# they need first (scripts/install-deps.sh, apt-get as root).
BUILD ?= build
SANITIZE ?= 0
WERROR ?= $(if $(CI),1,0)
JOBS ?= 2

ifeq ($(SANITIZE),1)
BUILD := build-asan
endif

CMAKE_FLAGS = -DS2P_SANITIZE=$(if $(filter 1,$(SANITIZE)),ON,OFF) \
              -DS2P_WERROR=$(if $(filter 1,$(WERROR)),ON,OFF)

.PHONY: all deps configure test demo bench install clean format

all: configure
	cmake --build $(BUILD) -j$(JOBS)

deps:
	@scripts/install-deps.sh --check 2>/dev/null || scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null

test: all
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

demo: all
	scripts/demo.sh $(BUILD)

bench: all
	scripts/bench.sh $(BUILD)

# Copy the plugin into a Stash plugins folder:
#   make install PLUGIN_DIR=/root/.stash/plugins/Stash2Plex
install: all
	@test -n "$(PLUGIN_DIR)" || { echo "usage: make install PLUGIN_DIR=<stash plugins dir>/Stash2Plex"; exit 2; }
	install -d "$(PLUGIN_DIR)"
	install -m 0644 Stash2Plex.yml "$(PLUGIN_DIR)/Stash2Plex.yml"
	install -m 0755 $(BUILD)/stash2plex "$(PLUGIN_DIR)/stash2plex"

# Format every C file with .clang-format (clang-format 14); CI checks it
# with scripts/check-format.sh.
format: deps
	scripts/check-format.sh --fix

clean:
	rm -rf build build-asan
