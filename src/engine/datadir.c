#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* F_OFD_SETLK */
#endif
#include "engine/datadir.h"
#include "engine/engine_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum tk_err eng_mkdir_p(const char *path, struct tk_errbuf *eb)
{
	char tmp[4096];
	size_t n = strlen(path);
	if (n >= sizeof tmp)
		return tk_err_set(eb, TK_E_BAD_CONFIG, "data dir path too long");
	memcpy(tmp, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		char c = tmp[i];
		tmp[i] = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			return tk_err_set(eb, TK_E_DATA_DIR, "cannot create data dir %s: %s", tmp,
					  strerror(errno));
		tmp[i] = c;
	}
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return tk_err_set(eb, TK_E_DATA_DIR, "data dir %s is not a directory", path);
	return TK_OK;
}

enum tk_err eng_datadir_lock(const char *path, int *fd_out, struct tk_errbuf *eb)
{
	*fd_out = -1;
	if (!path || !path[0])
		return tk_err_set(eb, TK_E_BAD_CONFIG, "no data dir path");
	enum tk_err rc = eng_mkdir_p(path, eb);
	if (rc != TK_OK)
		return rc;
	char lp[4096 + 8];
	snprintf(lp, sizeof lp, "%s/LOCK", path);
	int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return tk_err_set(eb, TK_E_DATA_DIR, "data dir %s: cannot open %s: %s", path, lp,
				  strerror(errno));
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
	if (fcntl(fd, F_OFD_SETLK, &fl) != 0) {
		int err = errno;
		if (err == EAGAIN || err == EACCES) {
			/* The holder wrote its pid after locking; it may not have
			 * yet, hence "unknown". */
			char buf[32];
			ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
			long pid = 0;
			if (n > 0) {
				buf[n] = '\0';
				pid = strtol(buf, NULL, 10);
			}
			close(fd);
			if (pid > 0)
				return tk_err_set(eb, TK_E_DATA_DIR,
						  "data dir %s is locked by pid %ld (another "
						  "daemon is using it)",
						  path, pid);
			return tk_err_set(eb, TK_E_DATA_DIR,
					  "data dir %s is locked by another process (pid unknown)",
					  path);
		}
		close(fd);
		return tk_err_set(eb, TK_E_DATA_DIR, "data dir %s: cannot lock %s: %s", path, lp,
				  strerror(err));
	}
	char pid[32];
	int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		int err = errno;
		close(fd);
		return tk_err_set(eb, TK_E_DATA_DIR, "data dir %s: cannot write pid to %s: %s",
				  path, lp, strerror(err));
	}
	*fd_out = fd;
	return TK_OK;
}

void eng_datadir_unlock(int fd)
{
	if (fd < 0)
		return;
	/* Clear the pid so a stale file does not name a dead process; closing
	 * the descriptor releases the lock. */
	if (ftruncate(fd, 0) != 0) {
		/* Nothing useful to do: the lock is released anyway. */
	}
	close(fd);
}
