/* Regular files only, declared in regfile.h. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "regfile.h"

int
regfile_open(const char *path)
{
	struct stat st;
	int fd, err;

	/* O_NONBLOCK: opening a FIFO without a writer would wait for one. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return (-errno);

	if (fstat(fd, &st) != 0)
		err = errno;
	else if (S_ISDIR(st.st_mode))
		err = EISDIR;
	else if (!S_ISREG(st.st_mode))
		err = REGFILE_ENOTREG;
	else if (fcntl(fd, F_SETFL, 0) != 0)
		err = errno;
	else
		return (fd);

	close(fd);
	return (-err);
}

FILE *
regfile_fopen(const char *path)
{
	FILE *fp;
	int fd;

	if ((fd = regfile_open(path)) < 0) {
		errno = -fd;
		return (NULL);
	}
	if ((fp = fdopen(fd, "r")) == NULL)
		close(fd);
	return (fp);
}

int
regfile_read_all(const char *path, size_t max, uint8_t **data, size_t *len)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd, rc = 0;

	*data = NULL;
	*len = 0;
	fd = regfile_open(path);
	if (fd < 0)
		return (fd);

	if (fstat(fd, &st) != 0)
		rc = -errno;
	else if (max > 0 && (size_t)st.st_size > max)
		rc = -EFBIG;

	*data = rc == 0 ? malloc((size_t)st.st_size + 1) : NULL;
	if (rc == 0 && *data == NULL)
		rc = -ENOMEM;

	while (rc == 0 && got < (size_t)st.st_size) {
		n = read(fd, *data + got, (size_t)st.st_size - got);
		if (n < 0 && errno != EINTR)
			rc = -errno;
		else if (n == 0)
			break;
		else if (n > 0)
			got += (size_t)n;
	}

	close(fd);
	if (rc != 0) {
		free(*data);
		*data = NULL;
	}
	*len = got;
	return (rc);
}

int
regfile_dir_open(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd;

	if (strlen(path) >= sizeof(dir))
		return (-ENAMETOOLONG);

	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return (fd < 0 ? -errno : fd);
}

int
regfile_dir_sync(const char *path)
{
	int fd, rc = 0;

	if ((fd = regfile_dir_open(path)) < 0)
		return (fd);
	if (fsync(fd) != 0)
		rc = -errno;
	close(fd);
	return (rc);
}

const char *
regfile_strerror(int err)
{
	if (err == REGFILE_ENOTREG)
		return ("not a regular file");
	return (strerror(err));
}
