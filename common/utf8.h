/* UTF-8 validation for text that logs, status replies and headendctl show. */
#ifndef HEADEND_UTF8_H
#define HEADEND_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Return the length of the valid UTF-8 sequence (RFC 3629) at s: 1 for
 * ASCII other than NUL, 2 to 4 for a multibyte sequence, 0 when s does
 * not start one. Overlong forms, surrogates and values above U+10FFFF
 * are invalid. The NUL terminator fails the continuation test, so a
 * sequence cut short is never read past the end.
 */
size_t	utf8_length(const unsigned char *s);

/* Return whether the NUL-terminated text is valid UTF-8 throughout. */
bool	utf8_valid(const char *text);

/*
 * Return the length of the character at s when it may be shown as it is:
 * printable ASCII, or a valid multibyte character that is no C1 control
 * and no invisible or layout character. The latter are spaces other than
 * U+0020, zero-width and bidirectional marks, line and paragraph
 * separators and U+FEFF, which could split a log line, hide text or
 * reorder it on screen. Returns 0 for all the others.
 */
size_t	utf8_shown_length(const unsigned char *s);

/* Return whether every character of text passes utf8_shown_length. */
bool	utf8_shown(const char *text);

#endif
