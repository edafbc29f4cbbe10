/*
 * application/x-www-form-urlencoded decoding. Credentials arrive this
 * way, so the decoder rejects anything ambiguous (bad escapes, NUL bytes,
 * a field sent twice) instead of guessing, and wipes partial output.
 */
#include "form.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include <openssl/crypto.h>

/*
 * Decodes the byte at s[*pos] and advances *pos past it and its escape.
 * Returns the byte (1 to 255) or -EINVAL.
 */
static int
form_byte_next(const char *s, size_t len, size_t *pos)
{
	size_t i = *pos;
	int high;
	int low;

	if (s[i] == '\0')
		return -EINVAL;

	if (s[i] != '%') {
		*pos = i + 1;
		return s[i] == '+' ? ' ' : (unsigned char)s[i];
	}

	if (len - i < 3)
		return -EINVAL;

	high = OPENSSL_hexchar2int(s[i + 1]);
	low = OPENSSL_hexchar2int(s[i + 2]);
	if (high < 0 || low < 0 || (high == 0 && low == 0))
		return -EINVAL;

	*pos = i + 3;
	return high * 16 + low;
}

/*
 * Decodes all of s, storing at most outlen - 1 bytes in out (out may be
 * NULL when outlen is 0), and sets *decoded_len to the full decoded
 * length. Returns 0 or -EINVAL, after wiping what was stored.
 */
static int
form_scan(const char *s, size_t len, char *out, size_t outlen,
	  size_t *decoded_len)
{
	size_t pos = 0;
	size_t decoded = 0;

	while (pos < len) {
		int byte = form_byte_next(s, len, &pos);

		if (byte < 0) {
			if (out)
				explicit_bzero(out, decoded < outlen ?
					       decoded : outlen);

			return byte;
		}

		if (decoded + 1 < outlen)
			out[decoded] = (char)byte;

		decoded++;
	}

	*decoded_len = decoded;
	return 0;
}

int
form_decode(const char *s, size_t len, char *out, size_t outlen)
{
	size_t n;
	int err;

	err = form_scan(s, len, out, outlen, &n);
	if (err == 0 && (n >= outlen || n > INT_MAX)) {
		if (outlen > 0)
			explicit_bzero(out, n < outlen ? n : outlen);

		err = -E2BIG;
	}

	if (err < 0) {
		if (outlen > 0)
			out[0] = '\0';

		return err;
	}

	out[n] = '\0';
	return (int)n;
}

/*
 * Compares the encoded field name s with name, decoding as it goes.
 * Returns 1 when equal, 0 when not, -EINVAL when s is malformed (checked
 * to the end even after a mismatch).
 */
static int
form_name_compare(const char *s, size_t len, const char *name)
{
	bool equal = true;
	size_t pos = 0;
	size_t matched = 0;

	while (pos < len) {
		int byte = form_byte_next(s, len, &pos);

		if (byte < 0)
			return byte;

		if (equal && (unsigned char)name[matched] == byte)
			matched++;
		else
			equal = false;
	}

	return equal && name[matched] == '\0';
}

/*
 * Checks one "name=value" field (no '&'). A field without '=' has an
 * empty value, and an empty field (from "&&") is skipped. Returns 1 when
 * its name is name, with the encoded value span set, 0 when it is another
 * field, -EINVAL when it is malformed.
 */
static int
form_field_match(const char *field, size_t len, const char *name,
		 const char **value, size_t *value_len)
{
	const char *equals = memchr(field, '=', len);
	size_t name_len = equals ? (size_t)(equals - field) : len;
	size_t n;
	int match;
	int err;

	if (len == 0)
		return 0;

	match = form_name_compare(field, name_len, name);
	if (match < 0)
		return match;

	*value = equals ? equals + 1 : field + len;
	*value_len = len - (size_t)(*value - field);
	err = form_scan(*value, *value_len, NULL, 0, &n);
	if (err < 0)
		return err;

	return match;
}

int
form_get(const void *body, size_t len, const char *name, char *out,
	 size_t outlen)
{
	const char *text = body;
	const char *value = NULL;
	size_t value_len = 0;
	size_t matches = 0;
	size_t start = 0;
	int err;

	if (outlen > 0)
		out[0] = '\0';

	while (start < len) {
		const char *field = text + start;
		const char *amp = memchr(field, '&', len - start);
		size_t field_len = amp ? (size_t)(amp - field) : len - start;
		const char *field_value;
		size_t field_value_len;
		int match;

		match = form_field_match(field, field_len, name, &field_value,
					 &field_value_len);
		if (match < 0)
			return match;

		if (match) {
			value = field_value;
			value_len = field_value_len;
			matches++;
		}

		start += field_len + 1;
	}

	if (matches == 0)
		return 0;

	if (matches > 1)
		return -EINVAL;

	err = form_decode(value, value_len, out, outlen);
	return err < 0 ? err : 1;
}
