/* Regular files only, declared in regfile.h. */
#include <fcntl.h>
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

const char *
regfile_strerror(int err)
{
	if (err == REGFILE_ENOTREG)
		return ("not a regular file");
	return (strerror(err));
}
