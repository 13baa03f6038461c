# Toolchain for `make static` (armv7): musl's gcc wrapper around
# Debian's arm-linux-gnueabihf-gcc and the
# dependency prefix that scripts/static/build.sh passes in S2P_STATIC_PREFIX.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(CMAKE_C_COMPILER "$ENV{S2P_STATIC_PREFIX}/bin/musl-gcc")
set(CMAKE_AR "/usr/bin/arm-linux-gnueabihf-ar")
set(CMAKE_RANLIB "/usr/bin/arm-linux-gnueabihf-ranlib")
set(CMAKE_STRIP "/usr/bin/arm-linux-gnueabihf-strip")
set(CMAKE_FIND_ROOT_PATH "$ENV{S2P_STATIC_PREFIX}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
