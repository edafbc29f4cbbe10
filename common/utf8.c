/* The UTF-8 check declared in utf8.h. */
#include <stdint.h>

#include "utf8.h"

/*
 * Decode the valid sequence of n bytes at s, as utf8_length checked it.
 */
static uint32_t
utf8_decode(const unsigned char *s, size_t n)
{
	uint32_t cp = s[0] & (0x7f >> n);
	size_t i;

	for (i = 1; i < n; i++)
		cp = (cp << 6) | (s[i] & 0x3f);
	return (cp);
}

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

/* Return whether length accepts every character of text. */
static bool
utf8_every(const char *text, size_t (*length)(const unsigned char *))
{
	const unsigned char *p = (const unsigned char *)text;
	size_t n;

	for (; *p != '\0'; p += n) {
		if ((n = length(p)) == 0)
			return (false);
	}
	return (true);
}

bool
utf8_valid(const char *text)
{
	return (utf8_every(text, utf8_length));
}

/* The code points that utf8_shown_length rejects, as ranges. */
static const struct {
	uint32_t	first, last;
} utf8_hidden[] = {
	{ 0x0080, 0x00a0 },	/* C1 controls, no-break space */
	{ 0x00ad, 0x00ad },	/* soft hyphen */
	{ 0x034f, 0x034f },	/* combining grapheme joiner */
	{ 0x061c, 0x061c },	/* Arabic letter mark */
	{ 0x115f, 0x1160 },	/* Hangul fillers */
	{ 0x1680, 0x1680 },	/* Ogham space mark */
	{ 0x17b4, 0x17b5 },	/* Khmer inherent vowels */
	{ 0x180b, 0x180f },	/* Mongolian selectors and separator */
	{ 0x2000, 0x200f },	/* spaces, zero-width and direction marks */
	{ 0x2028, 0x202f },	/* separators, embeddings, narrow space */
	{ 0x205f, 0x2064 },	/* math space, invisible operators */
	{ 0x2066, 0x206f },	/* isolates, deprecated format characters */
	{ 0x2800, 0x2800 },	/* blank Braille pattern */
	{ 0x3000, 0x3000 },	/* ideographic space */
	{ 0x3164, 0x3164 },	/* Hangul filler */
	{ 0xfe00, 0xfe0f },	/* variation selectors */
	{ 0xfeff, 0xfeff },	/* byte order mark */
	{ 0xffa0, 0xffa0 },	/* halfwidth Hangul filler */
	{ 0xfff9, 0xfffb },	/* interlinear annotation */
	{ 0x13430, 0x1343f },	/* Egyptian hieroglyph format controls */
	{ 0x1bca0, 0x1bca3 },	/* shorthand format controls */
	{ 0x1d173, 0x1d17a },	/* musical symbol format controls */
	{ 0xe0000, 0xe0fff },	/* tags, variation selectors supplement */
};

size_t
utf8_shown_length(const unsigned char *s)
{
	uint32_t cp;
	size_t n, i;

	if (s[0] < 0x80)
		return (s[0] >= 0x20 && s[0] < 0x7f ? 1 : 0);
	if ((n = utf8_length(s)) == 0)
		return (0);
	cp = utf8_decode(s, n);
	for (i = 0; i < sizeof(utf8_hidden) / sizeof(utf8_hidden[0]); i++) {
		if (cp >= utf8_hidden[i].first && cp <= utf8_hidden[i].last)
			return (0);
	}
	return (n);
}

bool
utf8_shown(const char *text)
{
	return (utf8_every(text, utf8_shown_length));
}
