# Toolchain for `make static` (aarch64): musl's gcc wrapper around
# Debian's aarch64-linux-gnu-gcc and the
# dependency prefix that scripts/static/build.sh passes in S2P_STATIC_PREFIX.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER "$ENV{S2P_STATIC_PREFIX}/bin/musl-gcc")
set(CMAKE_AR "/usr/bin/aarch64-linux-gnu-ar")
set(CMAKE_RANLIB "/usr/bin/aarch64-linux-gnu-ranlib")
set(CMAKE_STRIP "/usr/bin/aarch64-linux-gnu-strip")
set(CMAKE_FIND_ROOT_PATH "$ENV{S2P_STATIC_PREFIX}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
