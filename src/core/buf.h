/*
 * buf.h - a growable byte buffer with a hard size cap (curl's dynbuf idea).
 * Every buffer fed from outside (stdin, HTTP bodies, files) has a cap, so a
 * hostile peer cannot make us grow without bound. The content is always
 * NUL-terminated for convenience; len excludes the terminator.
 */
#ifndef S2P_BUF_H
#define S2P_BUF_H

#include <stddef.h>

#include "compat.h"

struct s2p_buf {
	char *data; /* NULL until the first append */
	size_t len;
	size_t cap;   /* allocated bytes */
	size_t limit; /* hard maximum of len; 0 means no limit */
};

/* Initialise an empty buffer that may hold at most limit bytes (0 = none). */
void s2p_buf_init(struct s2p_buf *b, size_t limit);
/* Append n bytes. Returns S2P_OK, or S2P_EPARSE when the cap would be exceeded
 * (the buffer is left unchanged). */
int s2p_buf_add(struct s2p_buf *b, const void *p, size_t n) S2P_NODISCARD;
int s2p_buf_adds(struct s2p_buf *b, const char *s) S2P_NODISCARD;
int s2p_buf_addf(struct s2p_buf *b, const char *fmt, ...)
    S2P_PRINTF(2, 3) S2P_NODISCARD;
void s2p_buf_reset(struct s2p_buf *b);
/* Hand the content to the caller (who frees it) and reset the buffer. Never
 * returns NULL: an empty buffer gives "". */
char *s2p_buf_take(struct s2p_buf *b);
void s2p_buf_free(struct s2p_buf *b);

/* Read a whole file descriptor until EOF into b (respecting its cap). */
int s2p_buf_read_fd(struct s2p_buf *b, int fd) S2P_NODISCARD;

#endif
