/* The UTF-8 check declared in utf8.h. */
#include <stdint.h>

#include "utf8.h"

size_t
utf8_length(const unsigned char *s)
{
	uint32_t cp;
	size_t n, i;

	if (s[0] == 0)
		return (0);
	if (s[0] < 0x80)
		return (1);
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return (0);

	cp = s[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return (0);
	return (n);
}

bool
utf8_valid(const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t n;

	for (; *p != '\0'; p += n) {
		if ((n = utf8_length(p)) == 0)
			return (false);
	}
	return (true);
}
