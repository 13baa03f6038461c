#!/bin/sh
# Build the static dependencies of one target into a prefix:
#   deps.sh ARCH PREFIX SRCDIR WORKDIR
# SRCDIR holds the unpacked Debian source trees (build.sh fetches them), one
# <package>/ directory each; WORKDIR is scratch space. For the ARM targets,
# musl is built first and its gcc wrapper (PREFIX/bin/musl-gcc, which runs
# Debian's cross gcc with musl's specs) compiles everything after it. x86_64
# uses Debian's musl-tools. libcurl is cut down to HTTP and HTTPS over
# mbedTLS with zlib for gzip replies; every other protocol and feature is off.
# Any change to this file changes the cache key (build.sh), so edits rebuild.
set -eu
ARCH=$1 P=$2 SRC=$3 W=$4
JOBS=${JOBS:-2}
TOOLCHAIN=$(cd "$(dirname "$0")/../../cmake" && pwd)/static-$ARCH.cmake
CFLAGS_DEP="-O2 -ffunction-sections -fdata-sections"

case $ARCH in
x86_64) HOST=x86_64-linux-musl CROSS= ;;
aarch64) HOST=aarch64-linux-musl CROSS=aarch64-linux-gnu- ;;
armv7) HOST=arm-linux-musleabihf CROSS=arm-linux-gnueabihf- ;;
*) echo "deps.sh: unknown arch $ARCH" >&2; exit 2 ;;
esac
AR=${CROSS}ar RANLIB=${CROSS}ranlib
export AR RANLIB
mkdir -p "$P/lib" "$P/include" "$P/bin" "$W"

say() { echo "static[$ARCH]: $*"; }

# A fresh copy of one unpacked source tree in WORKDIR; prints its path.
tree() {
	rm -rf "${W:?}/$1"
	mkdir -p "$W/$1"
	cp -a "$SRC/$1/." "$W/$1/"
	echo "$W/$1"
}

# musl for the target, with its gcc wrapper, from Debian's source package.
build_musl() {
	if [ -z "$CROSS" ]; then
		CC=musl-gcc
		return
	fi
	say "musl"
	d=$(tree musl)
	(cd "$d" && ./configure --prefix="$P" --target="${CROSS%-}" \
	    CROSS_COMPILE="$CROSS" CC="${CROSS}gcc" --disable-shared \
	    --enable-wrapper=gcc >/dev/null &&
	    make -j"$JOBS" >/dev/null && make install >/dev/null)
	# The cross gcc's libgcc.a (ARM: __aeabi_ldiv0) calls raise() from
	# libc, but the link line ends with libgcc after -lc: add one more -lc
	# after it, so static links resolve it.
	sed -i 's/^libgcc\.a%s %:if-exists(libgcc_eh\.a%s)$/& -lc/' \
	    "$P/lib/musl-gcc.specs"
	grep -q '^libgcc\.a%s.* -lc$' "$P/lib/musl-gcc.specs"
	CC="$P/bin/musl-gcc"
}

build_zlib() {
	say "zlib"
	d=$(tree zlib)
	(cd "$d" && CC="$CC" CFLAGS="$CFLAGS_DEP" ./configure --static \
	    --prefix="$P" >/dev/null && make -j"$JOBS" libz.a >/dev/null &&
	    make install >/dev/null)
}

# mbedTLS with its default configuration (TLS 1.2, X.509, no file system
# surprises); only the three libraries are built, not programs or tests.
build_mbedtls() {
	say "mbedtls"
	d=$(tree mbedtls)
	# mbedTLS takes its entropy from getrandom() only on glibc and falls
	# back to /dev/urandom elsewhere: a static binary in a root without
	# /dev could not seed TLS. musl has the same syscall(): use it too.
	sed -i 's/^#if ((defined(__linux__) && defined(__GLIBC__)) || defined(__midipix__))$/#if defined(__linux__) || defined(__midipix__)/' \
	    "$d/library/entropy_poll.c"
	grep -q '^#if defined(__linux__) || defined(__midipix__)$' \
	    "$d/library/entropy_poll.c"
	(cd "$d/library" && make -j"$JOBS" CC="$CC" AR="$AR" \
	    CFLAGS="$CFLAGS_DEP -I../include -D_FILE_OFFSET_BITS=64" \
	    libmbedcrypto.a libmbedx509.a libmbedtls.a >/dev/null)
	cp -r "$d/include/mbedtls" "$d/include/psa" "$P/include/"
	cp "$d"/library/libmbed*.a "$P/lib/"
}

build_curl() {
	say "curl (HTTP/HTTPS only)"
	d=$(tree curl)
	(cd "$d" && ./configure --host="$HOST" --build=x86_64-pc-linux-gnu \
	    --prefix="$P" CC="$CC" CFLAGS="$CFLAGS_DEP" \
	    CPPFLAGS="-I$P/include" LDFLAGS="-static -L$P/lib" \
	    --disable-shared --enable-static --disable-dependency-tracking \
	    --with-mbedtls="$P" --with-zlib="$P" \
	    --without-ca-bundle --without-ca-path --without-ca-fallback \
	    --without-libpsl --without-libidn2 --without-brotli --without-zstd \
	    --without-nghttp2 --without-ngtcp2 --without-nghttp3 --without-quiche \
	    --without-libssh2 --without-libssh --without-librtmp \
	    --without-hyper --without-libgsasl --disable-ares \
	    --disable-ftp --disable-file --disable-ldap --disable-ldaps \
	    --disable-rtsp --disable-proxy --disable-dict --disable-telnet \
	    --disable-tftp --disable-pop3 --disable-imap --disable-smb \
	    --disable-smtp --disable-gopher --disable-mqtt --disable-manual \
	    --disable-libcurl-option --disable-sspi --disable-crypto-auth \
	    --disable-ntlm --disable-ntlm-wb --disable-tls-srp \
	    --disable-unix-sockets --disable-cookies --disable-http-auth \
	    --disable-doh --disable-mime --disable-netrc --disable-progress-meter \
	    --disable-alt-svc --disable-hsts --disable-websockets \
	    --disable-get-easy-options --disable-headers-api \
	    --disable-versioned-symbols --disable-openssl-auto-load-config \
	    >/dev/null &&
	    make -j"$JOBS" -C lib >/dev/null && make -C lib install >/dev/null &&
	    make -C include install >/dev/null)
}

# SQLite: the amalgamation (sqlite3.c, generated once on the build host by
# build.sh) compiled for the target. No extension loading: there is no
# dynamic loader in a static binary. The HAVE_* flags are what SQLite's
# configure finds on Linux (pread/pwrite: one syscall per WAL frame read
# instead of two).
build_sqlite() {
	say "sqlite3"
	$CC $CFLAGS_DEP -DSQLITE_THREADSAFE=1 -DSQLITE_OMIT_LOAD_EXTENSION \
	    -DSQLITE_DEFAULT_WAL_SYNCHRONOUS=1 -DHAVE_USLEEP=1 \
	    -DHAVE_FDATASYNC=1 -DHAVE_LOCALTIME_R=1 -DHAVE_GMTIME_R=1 \
	    -DHAVE_PREAD=1 -DHAVE_PWRITE=1 -DHAVE_STRCHRNUL=1 \
	    -D_FILE_OFFSET_BITS=64 \
	    -c "$SRC/sqlite3-amalgamation/sqlite3.c" -o "$W/sqlite3.o"
	rm -f "$P/lib/libsqlite3.a"
	$AR rcs "$P/lib/libsqlite3.a" "$W/sqlite3.o"
	cp "$SRC/sqlite3-amalgamation/sqlite3.h" "$P/include/"
}

# jansson's Debian source has no configure script: CMake, with the same
# toolchain file as the product.
build_jansson() {
	say "jansson"
	d=$(tree jansson)
	S2P_STATIC_PREFIX=$P cmake -S "$d" -B "$d/b" \
	    -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" -DCMAKE_BUILD_TYPE=Release \
	    -DCMAKE_C_FLAGS_RELEASE="$CFLAGS_DEP" -DCMAKE_INSTALL_PREFIX="$P" \
	    -DJANSSON_BUILD_SHARED_LIBS=OFF -DJANSSON_BUILD_DOCS=OFF \
	    -DJANSSON_WITHOUT_TESTS=ON -DJANSSON_EXAMPLES=OFF >/dev/null &&
	    cmake --build "$d/b" -j"$JOBS" >/dev/null &&
	    cmake --install "$d/b" >/dev/null
	test -f "$P/lib/libjansson.a" && test -f "$P/include/jansson.h"
}

build_utf8proc() {
	say "utf8proc"
	d=$(tree utf8proc)
	$CC $CFLAGS_DEP -DUTF8PROC_STATIC -c "$d/utf8proc.c" -o "$W/utf8proc.o"
	rm -f "$P/lib/libutf8proc.a"
	$AR rcs "$P/lib/libutf8proc.a" "$W/utf8proc.o"
	cp "$d/utf8proc.h" "$P/include/"
}

build_musl
build_zlib
build_mbedtls
build_curl
build_sqlite
build_jansson
build_utf8proc
echo "$CC" >"$P/cc"
say "dependencies done in $P"
