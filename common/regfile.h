/*
 * Opening the files that the configuration names: certificates, keys,
 * CRLs, user files and the configuration itself. An operator may name a
 * FIFO or a device by mistake, and reading one would block the parent or
 * fill its memory. So only regular files are read, and the open itself
 * does not wait for a FIFO's writer. The configuration may not @include
 * other files (config.c rejects it), so libconfig opens none itself.
 */
#ifndef HEADEND_REGFILE_H
#define HEADEND_REGFILE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The error of a path that names neither a regular file nor a directory.
 * No open(2) of a file for reading sets this errno, so it is never taken
 * for another error; regfile_strerror describes it.
 */
#define REGFILE_ENOTREG	EMEDIUMTYPE

/*
 * Open path for reading. Returns the descriptor of a regular file, or
 * -EISDIR for a directory, -REGFILE_ENOTREG for anything else that is not
 * a regular file, or the -errno of open(2).
 */
int	regfile_open(const char *path);

/* As regfile_open, as a stdio stream; NULL with errno set on failure. */
FILE	*regfile_fopen(const char *path);

/*
 * Read the whole regular file at path into *data (malloc'd) and *len.
 * With max > 0, a file larger than max bytes fails with -EFBIG. Returns 0
 * or -errno as regfile_open, with *data NULL on failure.
 */
int	regfile_read_all(const char *path, size_t max, uint8_t **data,
	    size_t *len);

/*
 * Open the folder that contains path, for locking or fsync. Returns the
 * descriptor, or -errno (-ENAMETOOLONG for a path of PATH_MAX or more).
 */
int	regfile_dir_open(const char *path);

/*
 * Sync the folder that contains path, so that a rename there survives a
 * power loss. Returns 0 or -errno.
 */
int	regfile_dir_sync(const char *path);

/* Describe an error of regfile_open: strerror, but for REGFILE_ENOTREG. */
const char *regfile_strerror(int err);

#endif
