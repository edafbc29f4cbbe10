/*
 * A configuration bundle: a parsed configuration together with the
 * contents of the files it names (listener certificates, keys, chains
 * and next-certificates, and the ca-files and crl-files of the
 * tunnel-groups). The parent reads those files as root, validates the
 * bundle and hands it to the network process in a sealed memfd, because
 * the network process can neither read root-only keys nor open files at
 * all under its seccomp filter.
 *
 * Readers go through cfgbundle_open, which serves a path from the bundle,
 * or from the file system when the bundle is NULL, so the TLS and
 * certificate code loads both ways alike.
 *
 * Layout of the serialized form, in the byte order of the machine (both
 * ends are the same binary):
 *
 *	magic		8 bytes, "HECFGB1\0"
 *	config size	u64, sizeof(struct config)
 *	config		the struct as bytes
 *	file count	u32
 *	per file:	path length u32 (with the NUL), errno u32 (0
 *			when read), data length u64, path, data bytes
 */
#ifndef HEADEND_CFGBUNDLE_H
#define HEADEND_CFGBUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/bio.h>

#include "config.h"

/* Largest file a bundle takes in; a CRL of a large CA fits. */
#define CFGBUNDLE_FILE_MAX	(32u * 1024 * 1024)
/* Largest serialized bundle, so a reader never allocates without bound. */
#define CFGBUNDLE_SIZE_MAX	(256u * 1024 * 1024)

struct cfgbundle;

/*
 * Read every file that cfg names into a new bundle. A file that cannot be
 * read is recorded with its errno and reported by cfgbundle_open, so the
 * caller sees the error where the file is used. Returns 0, or -ENOMEM or
 * -EFBIG (the bundle would pass CFGBUNDLE_SIZE_MAX).
 */
int	cfgbundle_collect(const struct config *cfg, struct cfgbundle **out);

/*
 * Write the bundle into a new sealed memfd. Returns the descriptor, with
 * its size in *size, or -errno.
 */
int	cfgbundle_to_memfd(const struct cfgbundle *b, uint64_t *size);

/*
 * Read a bundle of size bytes from the start of fd and check its layout.
 * Returns 0, -EBADMSG for a malformed bundle, or another -errno.
 */
int	cfgbundle_from_fd(int fd, uint64_t size, struct cfgbundle **out);

/* The bundle's configuration, valid until cfgbundle_free. */
const struct config *cfgbundle_config(const struct cfgbundle *b);

/*
 * Open path for reading: from the bundle, or from the file system when b
 * is NULL. Returns a BIO, or NULL with the errno in *err (ENOENT for a
 * path that is not in the bundle). A BIO over the bundle is valid until
 * cfgbundle_free.
 */
BIO	*cfgbundle_open(const struct cfgbundle *b, const char *path, int *err);

void	cfgbundle_free(struct cfgbundle *b);

#endif
