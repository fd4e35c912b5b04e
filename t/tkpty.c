/* tkpty: run a program on a pseudo-terminal and drive it like a user, for
 * the interactive tests (t/cli-tty.t).
 *
 *   tkpty [-o TRANSCRIPT] [-S SENTINEL] [-t TIMEOUT_MS] -- CMD [ARG]...
 *
 * CMD runs as the leader of a new session whose controlling terminal is the
 * pty, so the keys Ctrl-C (\x03) and Ctrl-D (\x04) act through the terminal's
 * line discipline exactly as at a keyboard.  Actions come from stdin, one a
 * line:
 *   expect TEXT   wait until TEXT appears in the output after the previous
 *                 match (escapes \n \r \t \\ \xHH)
 *   send TEXT     type TEXT (same escapes)
 *   raw           wait until the terminal is in raw (non-canonical) mode, as
 *                 a line editor sets it when it is ready for keys; a key
 *                 sent before that is cooked by the line discipline (a
 *                 Ctrl-D would be an end of file, not a key)
 *   wait          wait for CMD to end and print "exit N" or "signal N"
 * With -S, a second process stays in CMD's process group (as a daemon
 * started by the same script would be) and appends one byte to SENTINEL per
 * SIGINT it receives, so a test can count the signals the group saw.
 * Exit status: 0 when every action succeeded, 1 when one timed out (the
 * output so far goes to stderr), 2 on a usage or system error.  The whole
 * process group is killed at the end. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* ptsname */
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int master = -1;
static pid_t child = -1;
static char *out;                        /* everything CMD wrote */
static size_t out_len, out_cap, matched; /* matched: where the next expect starts */
static FILE *transcript;
static int sentinel_fd = -1;

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char *what)
{
	fprintf(stderr, "tkpty: %s: %s\n", what, strerror(errno));
	if (child > 0)
		kill(-child, SIGKILL);
	exit(2);
}

/* Read what is available within ms milliseconds: 1 when something came, 0
 * when nothing did, -1 at end of output. */
static int pump(int ms)
{
	struct pollfd p = {.fd = master, .events = POLLIN};
	int n = poll(&p, 1, ms);
	if (n <= 0)
		return 0;
	char buf[4096];
	ssize_t got = read(master, buf, sizeof buf);
	if (got <= 0)
		return -1; /* EIO: the last process holding the terminal left */
	if (out_len + (size_t)got + 1 > out_cap) {
		out_cap = (out_len + (size_t)got + 1) * 2;
		out = realloc(out, out_cap);
		if (!out)
			die("realloc");
	}
	memcpy(out + out_len, buf, (size_t)got);
	out_len += (size_t)got;
	out[out_len] = 0;
	if (transcript) {
		fwrite(buf, 1, (size_t)got, transcript);
		fflush(transcript);
	}
	return 1;
}

static size_t unescape(const char *s, char *d)
{
	size_t n = 0;
	while (*s) {
		if (*s != '\\' || !s[1]) {
			d[n++] = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'n':
			d[n++] = '\n';
			s++;
			break;
		case 'r':
			d[n++] = '\r';
			s++;
			break;
		case 't':
			d[n++] = '\t';
			s++;
			break;
		case 'x': {
			char hex[3] = {s[1], s[1] ? s[2] : 0, 0};
			d[n++] = (char)strtoul(hex, NULL, 16);
			s += 1 + strlen(hex);
			break;
		}
		default:
			d[n++] = *s++;
			break;
		}
	}
	return n;
}

static void fail_timeout(const char *what)
{
	size_t from = out_len > 800 ? out_len - 800 : 0;
	fprintf(stderr, "tkpty: timed out waiting for %s; the output ends with:\n", what);
	fwrite(out ? out + from : "", 1, out_len - from, stderr);
	fputc('\n', stderr);
	kill(-child, SIGKILL);
	exit(1);
}

static void expect(const char *want, size_t n, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	for (;;) {
		if (out && out_len >= matched + n) {
			char *hit = memmem(out + matched, out_len - matched, want, n);
			if (hit) {
				matched = (size_t)(hit - out) + n;
				return;
			}
		}
		long long left = end - now_ms();
		if (left <= 0 || pump((int)(left > 100 ? 100 : left)) < 0) {
			char what[300];
			snprintf(what, sizeof what, "'%.*s'", (int)(n > 200 ? 200 : n), want);
			fail_timeout(what);
		}
	}
}

static void wait_raw(int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	struct termios t;
	/* a pty master reports the terminal's (the slave's) settings */
	while (tcgetattr(master, &t) == 0 && (t.c_lflag & ICANON)) {
		if (now_ms() > end)
			fail_timeout("raw mode");
		pump(10);
	}
}

static void wait_exit(int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	int st;
	for (;;) {
		pid_t r = waitpid(child, &st, WNOHANG);
		if (r == child)
			break;
		if (r < 0)
			die("waitpid");
		if (now_ms() > end)
			fail_timeout("the program to end");
		if (pump(50) < 0)
			usleep(20000); /* terminal closed, process not reaped yet */
	}
	while (pump(20) > 0) /* what it wrote last */
		;
	if (WIFEXITED(st))
		printf("exit %d\n", WEXITSTATUS(st));
	else
		printf("signal %d\n", WTERMSIG(st));
	fflush(stdout);
}

static void on_sigint_sentinel(int sig)
{
	(void)sig;
	if (write(sentinel_fd, "I", 1) < 0) {
		/* nothing to do in a handler */
	}
}

static void start(char **argv, const char *sentinel)
{
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
		die("posix_openpt");
	const char *slave_name = ptsname(master);
	if (!slave_name)
		die("ptsname");
	if (sentinel && (sentinel_fd = open(sentinel, O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0)
		die(sentinel);
	child = fork();
	if (child < 0)
		die("fork");
	if (child > 0)
		return;
	setsid();
	int slave = open(slave_name, O_RDWR);
	if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		_exit(127);
	struct winsize ws = {.ws_row = 24, .ws_col = 200};
	ioctl(slave, TIOCSWINSZ, &ws);
	dup2(slave, 0);
	dup2(slave, 1);
	dup2(slave, 2);
	if (slave > 2)
		close(slave);
	close(master);
	setenv("TERM", "xterm", 1);
	if (sentinel_fd >= 0) {
		pid_t s = fork();
		if (s == 0) { /* same process group as CMD, as a daemon of its script */
			struct sigaction sa;
			memset(&sa, 0, sizeof sa);
			sa.sa_handler = on_sigint_sentinel;
			sigaction(SIGINT, &sa, NULL);
			signal(SIGHUP, SIG_IGN);
			for (;;)
				pause();
		}
		close(sentinel_fd);
	}
	execvp(argv[0], argv);
	_exit(127);
}

int main(int argc, char **argv)
{
	const char *tpath = NULL, *sentinel = NULL;
	int timeout_ms = 10000, opt;
	while ((opt = getopt(argc, argv, "+o:S:t:")) != -1) {
		switch (opt) {
		case 'o':
			tpath = optarg;
			break;
		case 'S':
			sentinel = optarg;
			break;
		case 't':
			timeout_ms = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr,
		        "usage: tkpty [-o TRANSCRIPT] [-S SENTINEL] [-t MS] -- CMD [ARG]...\n");
		return 2;
	}
	if (tpath && !(transcript = fopen(tpath, "a")))
		die(tpath);
	signal(SIGPIPE, SIG_IGN);
	start(argv + optind, sentinel);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, stdin)) >= 0) {
		if (n && line[n - 1] == '\n')
			line[--n] = 0;
		char *buf = malloc((size_t)n + 1);
		if (!buf)
			die("malloc");
		if (strncmp(line, "expect ", 7) == 0) {
			expect(buf, unescape(line + 7, buf), timeout_ms);
		} else if (strncmp(line, "send ", 5) == 0) {
			size_t len = unescape(line + 5, buf);
			if (write(master, buf, len) != (ssize_t)len)
				die("write");
		} else if (strcmp(line, "raw") == 0) {
			wait_raw(timeout_ms);
		} else if (strcmp(line, "wait") == 0) {
			wait_exit(timeout_ms);
		} else if (n) {
			fprintf(stderr, "tkpty: unknown action '%s'\n", line);
			free(buf);
			kill(-child, SIGKILL);
			return 2;
		}
		free(buf);
	}
	free(line);
	kill(-child, SIGKILL); /* the sentinel, and CMD if no wait came */
	waitpid(child, NULL, WNOHANG);
	free(out);
	return 0;
}
