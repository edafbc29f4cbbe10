/* The configuration bundle declared in cfgbundle.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfgbundle.h"
#include "regfile.h"

#define CFGBUNDLE_MAGIC		"HECFGB1"	/* 8 bytes with the NUL */
#define CFGBUNDLE_MAX_FILES	(CONFIG_MAX_LISTENERS * 4 + \
				 CONFIG_MAX_TGROUPS * (CONFIG_MAX_CA_FILES + 1))

struct cfgbundle_file {
	const char	*path;		/* NUL-terminated, inside data */
	const uint8_t	*data;
	uint64_t	len;
	uint32_t	error;		/* errno of the read, or 0 */
};

struct cfgbundle {
	uint8_t		*data;		/* the serialized form */
	size_t		len;
	size_t		size;		/* allocated */
	const struct config *cfg;	/* inside data */
	struct cfgbundle_file files[CFGBUNDLE_MAX_FILES];
	uint32_t	nfiles;
};

/* The fixed part of a file entry, before its path and data. */
struct cfgbundle_entry {
	uint32_t	path_len;
	uint32_t	error;
	uint64_t	data_len;
};

static int
cfgbundle_reserve(struct cfgbundle *b, size_t more)
{
	size_t size = b->size;
	uint8_t *data;

	if (more > CFGBUNDLE_SIZE_MAX - b->len)
		return (-EFBIG);
	if (b->len + more <= b->size)
		return (0);
	while (size < b->len + more)
		size = size == 0 ? 64 * 1024 : size * 2;
	if ((data = realloc(b->data, size)) == NULL)
		return (-ENOMEM);
	b->data = data;
	b->size = size;
	return (0);
}

static int
cfgbundle_append(struct cfgbundle *b, const void *p, size_t n)
{
	int rc;

	if ((rc = cfgbundle_reserve(b, n)) != 0)
		return (rc);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return (0);
}

/* Read a whole file into the bundle, after its entry header. */
static int
cfgbundle_append_file(struct cfgbundle *b, const char *path)
{
	struct cfgbundle_entry e = { (uint32_t)strlen(path) + 1, 0, 0 };
	size_t at;
	struct stat st;
	ssize_t n;
	int fd, rc;

	if ((fd = regfile_open(path)) < 0)
		e.error = (uint32_t)-fd;
	else if (fstat(fd, &st) != 0)
		e.error = (uint32_t)errno;
	else if ((uint64_t)st.st_size > CFGBUNDLE_FILE_MAX)
		e.error = EFBIG;
	at = b->len;
	if ((rc = cfgbundle_append(b, &e, sizeof(e))) != 0 ||
	    (rc = cfgbundle_append(b, path, e.path_len)) != 0)
		goto out;
	while (e.error == 0) {
		if ((rc = cfgbundle_reserve(b, 64 * 1024)) != 0)
			goto out;
		n = read(fd, b->data + b->len, 64 * 1024);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			e.error = (uint32_t)errno;
		if (n <= 0)
			break;
		b->len += (size_t)n;
		e.data_len += (uint64_t)n;
		if (e.data_len > CFGBUNDLE_FILE_MAX)
			e.error = EFBIG;
	}
	if (e.error != 0) {
		/* Keep the entry with its error, without partial data. */
		b->len = at + sizeof(e) + e.path_len;
		e.data_len = 0;
	}
	memcpy(b->data + at, &e, sizeof(e));
out:
	if (fd >= 0)
		close(fd);
	return (rc);
}

/* Collect the paths that cfg names, each once. */
static void
cfgbundle_add_path(const char **paths, uint32_t *n, const char *path)
{
	uint32_t i;

	if (path[0] == '\0')
		return;
	for (i = 0; i < *n; i++)
		if (strcmp(paths[i], path) == 0)
			return;
	paths[(*n)++] = path;
}

static uint32_t
cfgbundle_paths(const struct config *cfg, const char **paths)
{
	const struct config_listener *l;
	const struct config_tgroup *tg;
	uint32_t n = 0;
	size_t i, j;

	for (i = 0; i < cfg->nlisteners; i++) {
		l = &cfg->listeners[i];
		cfgbundle_add_path(paths, &n, l->certificate);
		cfgbundle_add_path(paths, &n, l->key);
		cfgbundle_add_path(paths, &n, l->chain);
		cfgbundle_add_path(paths, &n, l->next_certificate);
	}
	for (i = 0; i < cfg->ntgroups; i++) {
		tg = &cfg->tgroups[i];
		if (tg->auth == AUTH_METHOD_PASSWORD)
			continue;
		for (j = 0; j < tg->nca_files; j++)
			cfgbundle_add_path(paths, &n, tg->ca_files[j]);
		cfgbundle_add_path(paths, &n, tg->crl_file);
	}
	return (n);
}

static int	cfgbundle_parse(struct cfgbundle *b);

int
cfgbundle_collect(const struct config *cfg, struct cfgbundle **out)
{
	const char *paths[CFGBUNDLE_MAX_FILES];
	uint64_t size = sizeof(*cfg);
	struct cfgbundle *b;
	uint32_t i, n;
	int rc;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return (-ENOMEM);
	n = cfgbundle_paths(cfg, paths);
	if ((rc = cfgbundle_append(b, CFGBUNDLE_MAGIC, 8)) != 0 ||
	    (rc = cfgbundle_append(b, &size, sizeof(size))) != 0 ||
	    (rc = cfgbundle_append(b, cfg, sizeof(*cfg))) != 0 ||
	    (rc = cfgbundle_append(b, &n, sizeof(n))) != 0)
		goto fail;
	for (i = 0; i < n; i++)
		if ((rc = cfgbundle_append_file(b, paths[i])) != 0)
			goto fail;
	if ((rc = cfgbundle_parse(b)) != 0)
		goto fail;
	*out = b;
	return (0);
fail:
	cfgbundle_free(b);
	return (rc);
}

int
cfgbundle_to_memfd(const struct cfgbundle *b, uint64_t *size)
{
	size_t done = 0;
	ssize_t n;
	int fd, rc;

	fd = memfd_create("headend-config", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return (-errno);
	while (done < b->len) {
		n = write(fd, b->data + done, b->len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			close(fd);
			return (rc);
		}
		done += (size_t)n;
	}

	/* The reader may trust what it checked: nothing changes after. */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
		rc = -errno;
		close(fd);
		return (rc);
	}
	*size = b->len;
	return (fd);
}

/* Take n bytes at *at out of the serialized form, or fail. */
static const uint8_t *
cfgbundle_take(const struct cfgbundle *b, size_t *at, uint64_t n)
{
	const uint8_t *p = b->data + *at;

	if (n > b->len - *at)
		return (NULL);
	*at += (size_t)n;
	return (p);
}

/*
 * Check the counts and indices of a configuration from another process,
 * so that no array is read out of bounds. Its strings were terminated by
 * the parser that wrote them.
 */
static int
cfgbundle_check_config(const struct config *cfg)
{
	size_t i;

	if (cfg->nlisteners > CONFIG_MAX_LISTENERS ||
	    cfg->npools > CONFIG_MAX_POOLS ||
	    cfg->npolicies > CONFIG_MAX_POLICIES ||
	    cfg->ntgroups > CONFIG_MAX_TGROUPS ||
	    cfg->nstatic_addresses > CONFIG_MAX_STATIC_ADDRESSES)
		return (-EBADMSG);
	for (i = 0; i < cfg->ntgroups; i++) {
		if (cfg->tgroups[i].pool >= cfg->npools ||
		    cfg->tgroups[i].policy >= cfg->npolicies ||
		    cfg->tgroups[i].nurls > CONFIG_MAX_URLS ||
		    cfg->tgroups[i].nca_files > CONFIG_MAX_CA_FILES)
			return (-EBADMSG);
	}
	for (i = 0; i < cfg->npools; i++)
		if (cfg->pools[i].nexclude > CONFIG_MAX_EXCLUDES)
			return (-EBADMSG);
	for (i = 0; i < cfg->nstatic_addresses; i++)
		if (cfg->static_addresses[i].tgroup >= cfg->ntgroups)
			return (-EBADMSG);
	return (0);
}

static int
cfgbundle_parse_file(struct cfgbundle *b, size_t *at,
    struct cfgbundle_file *f)
{
	struct cfgbundle_entry e;
	const uint8_t *p;

	if ((p = cfgbundle_take(b, at, sizeof(e))) == NULL)
		return (-EBADMSG);
	memcpy(&e, p, sizeof(e));
	if (e.path_len < 2 || e.path_len > PATH_MAX ||
	    e.data_len > CFGBUNDLE_FILE_MAX ||
	    (e.error != 0 && e.data_len != 0) ||
	    (f->path = (const char *)cfgbundle_take(b, at,
	    e.path_len)) == NULL ||
	    strnlen(f->path, e.path_len) != e.path_len - 1 ||
	    (f->data = cfgbundle_take(b, at, e.data_len)) == NULL)
		return (-EBADMSG);
	f->len = e.data_len;
	f->error = e.error;
	return (0);
}

/* Index the serialized form, checking every length against its end. */
static int
cfgbundle_parse(struct cfgbundle *b)
{
	const uint8_t *p;
	uint64_t size;
	size_t at = 0;
	uint32_t i;

	if ((p = cfgbundle_take(b, &at, 8)) == NULL ||
	    memcmp(p, CFGBUNDLE_MAGIC, 8) != 0 ||
	    (p = cfgbundle_take(b, &at, sizeof(size))) == NULL)
		return (-EBADMSG);
	memcpy(&size, p, sizeof(size));
	if (size != sizeof(struct config) ||
	    (p = cfgbundle_take(b, &at, size)) == NULL)
		return (-EBADMSG);
	b->cfg = (const struct config *)p;
	if (cfgbundle_check_config(b->cfg) != 0 ||
	    (p = cfgbundle_take(b, &at, sizeof(b->nfiles))) == NULL)
		return (-EBADMSG);
	memcpy(&b->nfiles, p, sizeof(b->nfiles));
	if (b->nfiles > CFGBUNDLE_MAX_FILES)
		return (-EBADMSG);
	for (i = 0; i < b->nfiles; i++)
		if (cfgbundle_parse_file(b, &at, &b->files[i]) != 0)
			return (-EBADMSG);
	return (at == b->len ? 0 : -EBADMSG);
}

int
cfgbundle_from_fd(int fd, uint64_t size, struct cfgbundle **out)
{
	struct cfgbundle *b;
	ssize_t n;
	int rc;

	if (size > CFGBUNDLE_SIZE_MAX)
		return (-EBADMSG);
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return (-ENOMEM);

	/* The sender's writes moved the shared file offset to the end. */
	if (lseek(fd, 0, SEEK_SET) != 0) {
		rc = -errno;
		goto fail;
	}
	if ((rc = cfgbundle_reserve(b, (size_t)size)) != 0)
		goto fail;
	while (b->len < size) {
		n = read(fd, b->data + b->len, (size_t)size - b->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EBADMSG;
			goto fail;
		}
		b->len += (size_t)n;
	}
	if ((rc = cfgbundle_parse(b)) != 0)
		goto fail;
	*out = b;
	return (0);
fail:
	cfgbundle_free(b);
	return (rc);
}

const struct config *
cfgbundle_config(const struct cfgbundle *b)
{
	return (b->cfg);
}

BIO *
cfgbundle_open(const struct cfgbundle *b, const char *path, int *err)
{
	struct stat st;
	BIO *bio;
	uint32_t i;
	int fd;

	*err = 0;
	if (b == NULL) {
		if ((fd = regfile_open(path)) < 0) {
			*err = -fd;
			return (NULL);
		}

		/* The limit of a reload's bundle, so that both agree. */
		if (fstat(fd, &st) == 0 &&
		    (uint64_t)st.st_size > CFGBUNDLE_FILE_MAX) {
			close(fd);
			*err = EFBIG;
			return (NULL);
		}
		if ((bio = BIO_new_fd(fd, BIO_CLOSE)) == NULL) {
			close(fd);
			*err = ENOMEM;
		}
		return (bio);
	}
	for (i = 0; i < b->nfiles; i++) {
		if (strcmp(b->files[i].path, path) != 0)
			continue;
		if (b->files[i].error != 0) {
			*err = (int)b->files[i].error;
			return (NULL);
		}
		if ((bio = BIO_new_mem_buf(b->files[i].data,
		    (int)b->files[i].len)) == NULL)
			*err = ENOMEM;
		return (bio);
	}
	*err = ENOENT;
	return (NULL);
}

void
cfgbundle_free(struct cfgbundle *b)
{
	if (b == NULL)
		return;
	if (b->data != NULL)
		explicit_bzero(b->data, b->len);	/* it holds keys */
	free(b->data);
	free(b);
}
