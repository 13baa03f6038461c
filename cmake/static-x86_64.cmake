# Toolchain for `make static` (x86_64): musl's gcc wrapper around
# Debian's native gcc (musl-tools) and the
# dependency prefix that scripts/static/build.sh passes in S2P_STATIC_PREFIX.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER "musl-gcc")
set(CMAKE_AR "/usr/bin/ar")
set(CMAKE_RANLIB "/usr/bin/ranlib")
set(CMAKE_STRIP "/usr/bin/strip")
set(CMAKE_FIND_ROOT_PATH "$ENV{S2P_STATIC_PREFIX}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
