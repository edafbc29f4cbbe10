/*
 * Helpers shared by the libFuzzer targets in this folder. Each target
 * feeds one parser and checks the promises its header makes, so a wrong
 * result stops the run like a memory error does.
 */
#ifndef HEADEND_FUZZ_H
#define HEADEND_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Stop with the failed condition when a parser breaks its contract. */
#define FUZZ_CHECK(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: contract broken: %s\n",	\
			    __FILE__, __LINE__, #cond);			\
			abort();					\
		}							\
	} while (0)

/* libFuzzer's entry point, declared for -Wmissing-prototypes. */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Copy size bytes into a new NUL-terminated string, so that a parser of C
 * strings sees exactly the input. Returns NULL when malloc fails.
 */
static inline char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s != NULL) {
		for (size_t i = 0; i < size; i++)
			s[i] = (char)data[i];
		s[size] = '\0';
	}
	return s;
}

#endif
