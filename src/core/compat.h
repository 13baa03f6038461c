/*
 * compat.h - compiler attributes and portability switches shared by every
 * module. Nothing here is glibc-only: the plugin must also build as a static
 * musl binary for Stash's Alpine image.
 */
#ifndef S2P_COMPAT_H
#define S2P_COMPAT_H

#if defined(__GNUC__) || defined(__clang__)
#define S2P_NODISCARD __attribute__((warn_unused_result))
#define S2P_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define S2P_UNUSED __attribute__((unused))
#define S2P_NORETURN __attribute__((noreturn))
#else
#define S2P_NODISCARD
#define S2P_PRINTF(a, b)
#define S2P_UNUSED
#define S2P_NORETURN
#endif

#define S2P_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
