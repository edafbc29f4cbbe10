/*
 * Decoder for application/x-www-form-urlencoded bodies, as sent by the
 * phone login page and by openconnect --no-xmlpost. Fields are separated
 * by '&', a name ends at the first '=', '+' stands for a space and %XX
 * for one byte. Decoded bytes are passed through unchanged (no UTF-8
 * check), except that a NUL byte, raw or escaped, makes the body
 * malformed because the values end up in C strings.
 */
#ifndef HEADEND_FORM_H
#define HEADEND_FORM_H

#include <stddef.h>

/*
 * Decode the value of the field name from body (len bytes, no NUL needed)
 * into out. Names are compared after decoding, so "group%5flist" matches
 * "group_list". Returns 1 when found (an empty value included), 0 when
 * absent, -EINVAL when any part of the body is malformed or name occurs
 * more than once, and -E2BIG when the value and its NUL do not fit in
 * outlen. On any result other than 1, out is wiped and set to "".
 */
int
form_get(const void *body, size_t len, const char *name, char *out,
	 size_t outlen);

/*
 * Percent-decode s (len bytes) into out and NUL-terminate it, turning '+'
 * into a space. Returns the decoded length, -EINVAL for a bad escape or a
 * NUL byte, or -E2BIG when the result and its NUL do not fit in outlen or
 * the length exceeds INT_MAX. Never truncates: on error, out is wiped and
 * set to "" when outlen > 0.
 */
int
form_decode(const char *s, size_t len, char *out, size_t outlen);

#endif
